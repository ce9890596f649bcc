/// A job's state in words every scheduler shares: what the launcher decides on.
///
/// Each adapter maps its own words here (`docs/launching.md` has the full table): Slurm's `PENDING`,
/// `CANCELLED by 0`, `NODE_FAIL`…, or a local process's exit status. The launcher never sees a scheduler word.
public enum JobState: Sendable, Hashable {
    /// Queued, held, or being configured: not running the user's code yet.
    case pending
    /// Running (or completing: the scheduler is still tearing it down).
    case running
    /// Stopped by the scheduler (`SUSPENDED`, `STOPPED`); it may resume.
    case suspended
    /// Ended with exit status 0.
    case completed
    /// Ended with a non-zero exit status, or killed by a signal nobody asked for.
    case failed(exitCode: Int, signal: Int?)
    /// Killed at its walltime.
    case timedOut
    /// Cancelled by a person or by the launcher; `by` is the uid when the scheduler says who.
    case cancelled(by: Int?)
    /// Its node failed under it (`NODE_FAIL`): not the job's fault.
    case nodeFailure
    /// Its node could not be booted or the job not launched (`BOOT_FAIL`): not the job's fault.
    case bootFailure
    /// Killed for using more memory than it asked for.
    case outOfMemory
    /// Preempted by a higher-priority job; the scheduler may requeue it under the same id.
    case preempted
    /// Put back in the queue by the scheduler (it comes back as pending under the same id).
    case requeued
    /// Not started, or stopped, because its deadline passed (`--deadline`).
    case deadline
    /// The scheduler no longer knows the job and no record says how it ended (a finished job that left the
    /// queue while accounting is off, or a job lost with its controller).
    case vanished
    /// A word this code does not know, kept as the scheduler printed it.
    case unknown(String)

    /// Whether the scheduler considers this run of the job over.
    ///
    /// `preempted` counts as finished (the run ended) although the scheduler may requeue the job under the same
    /// id; `requeued` does not. `vanished` and `unknown` are not finished: the launcher decides how long to wait.
    public var isFinished: Bool {
        switch self {
        case .completed, .failed, .timedOut, .cancelled, .nodeFailure, .bootFailure, .outOfMemory, .preempted,
            .deadline:
            return true
        case .pending, .running, .suspended, .requeued, .vanished, .unknown:
            return false
        }
    }

    /// Whether the job is in the scheduler's hands and may still run or end: pending, running, suspended, requeued.
    public var isLive: Bool {
        switch self {
        case .pending, .running, .suspended, .requeued: return true
        default: return false
        }
    }

    /// The state's name alone, as stored in the journal's `state` column: `pending`, `failed`, `cancelled`…
    public var name: String {
        switch self {
        case .pending: return "pending"
        case .running: return "running"
        case .suspended: return "suspended"
        case .completed: return "completed"
        case .failed: return "failed"
        case .timedOut: return "timed_out"
        case .cancelled: return "cancelled"
        case .nodeFailure: return "node_failure"
        case .bootFailure: return "boot_failure"
        case .outOfMemory: return "out_of_memory"
        case .preempted: return "preempted"
        case .requeued: return "requeued"
        case .deadline: return "deadline"
        case .vanished: return "vanished"
        case .unknown: return "unknown"
        }
    }
}
