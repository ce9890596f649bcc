import Foundation
import Transport
import WireProtocol

/// The launcher's end of the server's control channel (docs/protocol.md): `ping` → `status`, `give_up` → `status`.
///
/// Each exchange uses its own short-lived `DEALER` socket on a dedicated thread (a receive blocks; Swift's
/// cooperative pool must not), so a reply that arrives late is never mistaken for the next one.
public final class ServerControl: ServerStatusSource {
    private let context: ZMQContext
    private let sequence = SequenceCounter()

    /// Creates a control client with its own ZeroMQ context.
    public init() throws {
        context = try ZMQContext()
    }

    deinit {
        context.shutdown()
    }

    /// Reads `<directory>/server.address` if it exists (nil otherwise, or while it cannot be read).
    public static func address(inStudyDirectory directory: String) -> ServerAddress? {
        let path = directory + "/" + ServerAddress.fileName
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(ServerAddress.self, from: data)
    }

    /// Reads `<directory>/server.address` (``address(inStudyDirectory:)``).
    public func serverAddress(inStudyDirectory directory: String) -> ServerAddress? {
        Self.address(inStudyDirectory: directory)
    }

    /// Sends a `ping` and waits at most `timeout` seconds for the `status`.
    public func ping(_ address: ServerAddress, timeout: Double) async throws -> ServerStatus {
        let number = sequence.next()
        return try await exchange(address, PingMessage(sequence: number).encoded(), sequence: number, timeout: timeout)
    }

    /// Tells the server that simulation `id` was given up; waits at most `timeout` seconds for the `status`.
    @discardableResult
    public func giveUp(_ id: Int, at address: ServerAddress, timeout: Double) async throws -> ServerStatus {
        try await exchange(
            address, GiveUpMessage(simulationID: UInt32(clamping: id)).encoded(), sequence: 0, timeout: timeout)
    }

    private func exchange(
        _ address: ServerAddress, _ request: [UInt8], sequence: UInt64, timeout: Double
    ) async throws -> ServerStatus {
        let context = context
        return try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(
                    with: Result {
                        try Self.exchange(context, address, request, sequence: sequence, timeout: timeout)
                    })
            }
            thread.name = "melissa-control"
            thread.start()
        }
    }

    private static func exchange(
        _ context: ZMQContext, _ address: ServerAddress, _ request: [UInt8], sequence: UInt64, timeout: Double
    ) throws -> ServerStatus {
        let socket = try Socket(context: context, type: .dealer)
        defer { socket.close() }
        try socket.setOption(.linger, 0)
        if let key = address.curveServerKey {
            try socket.makeCurveClient(serverKey: key, keyPair: try CurveKeyPair.generate())
        }
        try socket.setOption(.sendTimeout, Int32(max(1, min(timeout * 1000, 60_000))))
        try socket.connect(address.control)
        let deadline = Date().addingTimeInterval(timeout)
        guard try socket.send(request) else {
            throw ServerControlError.noAnswer(endpoint: address.control, seconds: timeout)
        }
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { throw ServerControlError.noAnswer(endpoint: address.control, seconds: timeout) }
            try socket.setOption(.receiveTimeout, Int32(max(1, min(left * 1000, 60_000))))
            guard let message = try socket.receiveFrames(maximumFrames: 2), let frame = message.frames.last else {
                continue
            }
            guard let status = try? StatusMessage.decode(frame), status.sequence == sequence else { continue }
            guard let value = ServerStatus(json: status.json) else {
                throw ServerControlError.malformedStatus(String(decoding: status.json, as: UTF8.self))
            }
            return value
        }
    }
}
