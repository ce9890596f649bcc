/// A server that cannot start as configured.
public enum IngestError: Error, Equatable, CustomStringConvertible {
    /// The configuration is inconsistent (what is wrong).
    case configuration(String)

    /// What is wrong.
    public var description: String {
        switch self {
        case .configuration(let message): "ingest configuration: \(message)"
        }
    }
}
