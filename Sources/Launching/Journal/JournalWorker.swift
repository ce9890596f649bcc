import Foundation

/// A worker (`execution.workers`) as the journal knows it: its latest job, what it runs, how many simulations it ran.
public struct JournalWorker: Sendable, Hashable {
    /// Its number (the argument of its job).
    public var number: Int
    /// Its latest job.
    public var job: JournalJob
    /// The simulation it runs now (its latest run, while that is live); nil when idle or over.
    public var current: JournalJob?
    /// Simulations it ran to their end (whatever the end).
    public var runs: Int

    /// Creates a worker's record.
    public init(number: Int, job: JournalJob, current: JournalJob?, runs: Int) {
        self.number = number
        self.job = job
        self.current = current
        self.runs = runs
    }

    /// `running simulation 7 (attempt 1)`, `idle`, `pending`, or the job's end (`completed`, `failed:1`…).
    public var activity: String {
        if let current {
            return (current.state == .running ? "running" : "starting")
                + " simulation \(current.simulationID.map(String.init) ?? "?") (attempt \(current.attempt))"
        }
        switch job.state {
        case .running: return "idle"
        case .pending, .requeued: return "pending"
        default: return job.state.code
        }
    }
}
