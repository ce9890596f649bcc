import Foundation

/// What the launcher knows of one simulation across its attempts: the next attempt, what the recovery policy
/// changed for it, the retries it spent, and how it ended.
///
/// Rebuilt from the journal on a resume (attempts, retries spent, completed, given up); the rest starts afresh.
struct SimulationRecord: Sendable, Hashable {
    /// The attempt its next submission runs.
    var nextAttempt = 0
    /// The memory (MiB) its next submission asks for, after running out; nil: the plan's.
    var memoryMiB: Int?
    /// Nodes its submissions avoid, after failing there.
    var excludedNodes: [String] = []
    /// Retries spent from its budget (`simulation.retries`).
    var retriesSpent = 0
    /// Resubmissions made without spending the budget (node failures, walltime, lost jobs).
    var freeRetries = 0
    /// One of its jobs completed (and the server has its steps, as far as the launcher knows).
    var isCompleted = false
    /// It was given up after its retries.
    var isGivenUp = false
    /// The listening server was told it was given up.
    var serverToldGivenUp = false
    /// Times its jobs were killed at their walltime (the first is a free retry, the next ones spend the budget).
    var walltimeKills = 0
    /// Its job exited 0 at this time, but the server did not have it finished yet: it is completed once the server
    /// says so, failed when the server still lacks it after a grace period (it never connected, or its data is
    /// incomplete).
    var exitedAt: Date?
    /// The job that exited 0 while the server did not have it finished.
    var exitedJob: JobID?

    /// Whether it still needs a run: neither completed nor given up.
    var isOpen: Bool { !isCompleted && !isGivenUp }

    /// Whether its job exited 0 and the launcher waits for the server to confirm it has the data.
    var isAwaitingData: Bool { exitedAt != nil }
}
