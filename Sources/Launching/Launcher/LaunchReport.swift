/// What a ``Launcher`` tells whoever watches it.
public enum LaunchReport: Sendable, Hashable {
    /// Something happened (a submission, a state change, a decision), in one line.
    case event(String)
    /// Where the launch stands (after every poll).
    case progress(LaunchProgress)
}
