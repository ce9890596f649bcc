/// Why the training server cannot start or go on.
public enum ServerError: Error, CustomStringConvertible {
    /// The plan or the study directory is not usable.
    case plan(String)
    /// A checkpoint cannot be written or read.
    case checkpoint(String)

    /// What went wrong, for the log.
    public var description: String {
        switch self {
        case .plan(let message): return "cannot serve this study: \(message)"
        case .checkpoint(let message): return "checkpoint: \(message)"
        }
    }
}
