/// How a launch ended.
public enum LaunchOutcome: Sendable, Hashable {
    /// The server exited 0: reception is over and training drained. `givenUp` simulations never completed.
    case completed(done: Int, givenUp: Int)
    /// `melissa cancel` (or ``Launcher/requestCancel()``) stopped every job.
    case cancelled
    /// The launcher's task was cancelled: it stopped, leaving the jobs running (`melissa launch --resume`).
    case detached
}
