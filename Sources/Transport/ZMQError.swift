import CZeroMQ

/// A failed libzmq call: the operation, the errno it left and libzmq's text for it.
public struct ZMQError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The libzmq function (or socket operation) that failed, e.g. `zmq_bind`.
    public let operation: String
    /// The errno value libzmq reported.
    public let code: Int32
    /// `zmq_strerror(code)`.
    public let message: String

    /// An error for `operation` with errno `code`.
    public init(operation: String, code: Int32) {
        self.operation = operation
        self.code = code
        self.message = String(cString: zmq_strerror(code))
    }

    /// The context was terminated (ETERM): a receiving loop should stop quietly.
    public var isContextTerminated: Bool { code == ETERM }

    /// The operation would have blocked (EAGAIN): nothing to receive yet, or a send timed out.
    public var isWouldBlock: Bool { code == EAGAIN }

    /// A ROUTER with `ZMQ_ROUTER_MANDATORY` could not route to the peer (EHOSTUNREACH): it is gone.
    public var isHostUnreachable: Bool { code == EHOSTUNREACH }

    /// `operation: message (errno code)`.
    public var description: String { "\(operation): \(message) (errno \(code))" }
}
