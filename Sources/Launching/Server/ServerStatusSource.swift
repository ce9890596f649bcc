import WireProtocol

/// What the launcher asks of the training server: where it listens, how it is doing, and that a simulation was
/// given up. ``ServerControl`` asks the real server over ZeroMQ; tests script one.
public protocol ServerStatusSource: Sendable {
    /// The address the server published in `directory` (`server.address`), nil while there is none to read.
    func serverAddress(inStudyDirectory directory: String) -> ServerAddress?

    /// Asks for the server's status; waits at most `timeout` seconds.
    func ping(_ address: ServerAddress, timeout: Double) async throws -> ServerStatus

    /// Tells the server that simulation `id` was given up; waits at most `timeout` seconds for its status.
    @discardableResult
    func giveUp(_ id: Int, at address: ServerAddress, timeout: Double) async throws -> ServerStatus
}
