/// How a launch ended.
public enum LaunchOutcome: Sendable, Hashable {
    /// The server exited 0: reception is over and training drained. `givenUp` simulations never completed.
    case completed(done: Int, givenUp: Int)
    /// `melissa cancel` (or ``Launcher/requestCancel()``) stopped every job.
    case cancelled
    /// The launcher's task was cancelled: it stopped, leaving the jobs running (`melissa launch --resume`).
    case detached
    /// ``Launcher/requestPause()`` (the end of the study's Slurm allocation: its walltime warning, or a stop signal):
    /// the server checkpointed and every job stopped; the study is resumable (`melissa launch --resume`, or the next
    /// allocation).
    case paused
}
