/// Why bytes are not a valid message.
public enum DecodeError: Error, Equatable, Sendable {
    /// The magic is not `"MLSA"`.
    case magic
    /// The version is not `WireFormat.version` (the version found).
    case version(UInt16)
    /// The kind is unknown or unexpected here (the kind found).
    case kind(UInt16)
    /// The message ends before its kind's fields do.
    case truncated
    /// The message has bytes (or frames) beyond its kind's fields, or a size that overflows.
    case oversized
    /// A field is out of range (what is wrong).
    case malformed(String)

    /// The counter this error is counted under.
    public var reason: RejectionReason {
        switch self {
        case .magic: .magic
        case .version: .version
        case .kind: .kind
        case .truncated: .truncated
        case .oversized: .oversized
        case .malformed: .malformed
        }
    }
}
