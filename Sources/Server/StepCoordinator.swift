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
}
