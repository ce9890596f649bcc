/// How a resumed launcher keeps watching a live job that an earlier launcher submitted.
public enum JobAdoption: Sendable, Hashable {
    /// The scheduler still knows the job: it is polled like any other (`array`: the job array it is a task of, whose
    /// throttle follows the window).
    case scheduler(array: JobID?)
    /// Only its process group can tell (a local job: the adapter that ran it went with the earlier launcher); nil
    /// when none was recorded, and the job is judged by the server's view alone.
    case processGroup(ProcessGroup?)
}
