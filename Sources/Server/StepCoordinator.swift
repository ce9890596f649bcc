import Ingest
import Training

/// How the training loop gets each step's batch and learns when to stop: the one thing a one-rank server
/// (``SingleRankSteps``) and a multi-rank one (``MultiRankSteps``) do differently. One rank waits on its buffer for a
/// whole batch, and a monitor thread ends the wait; several ranks wait a bounded time, so that each comes back to the
/// per-step exchange in which they agree on completion, draining and stop requests.
protocol StepCoordinator: AnyObject {
    /// Reads this rank's next batch into `batch` (possibly none) and says what the step is.
    func next(into batch: inout [TrainingSample]) throws -> StepOutcome
    /// Whether the loop stops (on request) after the step it just trained.
    var stopsAfterStep: Bool { get }
    /// Ends the loop, `stopped` being what the loop concluded: true when the server stops on request (a checkpoint,
    /// then exit 143) rather than finishing.
    func finish(stopped: Bool) throws -> Bool
    /// Each rank's buffer population, in rank order.
    var populations: [Int] { get }
    /// Samples received, all ranks together.
    var received: Int { get }
    /// Data chunks dropped as duplicates (their time step was already a sample), all ranks together.
    var duplicates: Int { get }
    /// The ingest's counters, all ranks together (the other ranks' as of their last report); nil offline.
    var ingestStatistics: IngestStatistics? { get }
    /// Whether the ranks agreed, at the turn ``next(into:)`` just read, to bring their per-simulation scores together
    /// (rank 0's clock: every ``scoreInterval`` seconds; the same answer on every rank). True once per agreement.
    func scoresAreDue() -> Bool
}

/// Seconds between two agreements of the ranks on the per-simulation scores the status reports.
let scoreInterval = 1.0

/// Rank 0's clock for the per-simulation scores: due every ``scoreInterval`` seconds.
struct ScoreClock {
    private let clock = ContinuousClock()
    private var last: ContinuousClock.Instant?

    /// Whether the interval has passed since the last time this said so (true the first time); restarts it then.
    mutating func due() -> Bool {
        let now = clock.now
        if let last, now - last < .milliseconds(Int(scoreInterval * 1000)) { return false }
        last = now
        return true
    }
}
