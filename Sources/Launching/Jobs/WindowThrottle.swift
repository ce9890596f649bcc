/// What a scheduler's throttle limits, so that no more simulations than the launcher's window run at once.
public enum WindowThrottle: Sendable, Hashable {
    /// One limit covers every job the adapter runs, the server's included: the launcher sets it to the window + 1
    /// (through the server's job id).
    case adapterWide
    /// Each job array carries its own limit (`%N`): the launcher sets every live array's to the window. Jobs
    /// submitted one by one are kept within the window by the launcher alone.
    case perArray
}
