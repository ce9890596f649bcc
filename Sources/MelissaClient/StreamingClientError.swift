import Transport
import WireProtocol

/// Why a streaming client could not register or send.
public enum StreamingClientError: Error, Equatable, CustomStringConvertible {
    /// The server refused the registration (its reason and message).
    case refused(RefusalReason, String)
    /// No answer to `register` within the timeout (seconds).
    case timeout(Double)
    /// The server's answer is not a valid `accept` or `refuse`.
    case malformedReply(DecodeError)
    /// A send before `register`, a field index or time step out of range, a chunk past the field's end.
    case usage(String)
    /// A ZeroMQ call failed.
    case transport(ZMQError)

    /// What went wrong.
    public var description: String {
        switch self {
        case .refused(let reason, let message): "registration refused (\(reason)): \(message)"
        case .timeout(let seconds): "no answer to register within \(seconds) s"
        case .malformedReply(let error): "malformed answer from the server: \(error)"
        case .usage(let message): message
        case .transport(let error): "\(error)"
        }
    }
}
