import Foundation
import Launching
import WireProtocol

/// The training server in memory for the launcher's unit tests: it listens (or not), answers pings with the status
/// its script gives for each ping (or not at all, when dead), and records the simulations it was told were given
/// up.
final class ScriptedServer: ServerStatusSource, @unchecked Sendable {
    /// The status answered to ping number `n` (from 0).
    typealias Script = @Sendable (_ ping: Int) -> ServerStatus

    private let lock = NSLock()
    private var listening: Bool
    private var alive = true
    private var script: Script
    private var pings = 0
    private var toldGivenUp: [Int] = []
    /// Simulations whose every step arrived (the adapter says so when their job completes); a restart loses them.
    private var finishedSimulations: Set<Int> = []

    /// The address it publishes.
    static let address = ServerAddress(
        pid: 1, host: "scripted", registration: "tcp://127.0.0.1:1", control: "tcp://127.0.0.1:2", data: [])

    /// A server that listens from the start (or once ``listen()`` is called) and answers with `script`.
    init(listening: Bool = true, script: @escaping Script = { _ in ServerStatus() }) {
        self.listening = listening
        self.script = script
    }

    /// Pings answered so far.
    var pingCount: Int { lock.withLock { pings } }

    /// The simulations it was told were given up, in order.
    var givenUp: [Int] { lock.withLock { toldGivenUp } }

    /// Stops answering (and unpublishes its address): a dead server.
    func die() {
        lock.withLock {
            alive = false
            listening = false
        }
    }

    /// A new server (after a restart) that listens and answers with `script`.
    func restart(script: @escaping Script) {
        lock.withLock {
            alive = true
            listening = true
            self.script = script
            finishedSimulations = []
        }
    }

    /// Simulation `id`'s steps all arrived: its statuses list it finished from now on.
    func simulationFinished(_ id: Int) {
        lock.withLock { _ = finishedSimulations.insert(id) }
    }

    func serverAddress(inStudyDirectory directory: String) -> ServerAddress? {
        lock.withLock { listening ? Self.address : nil }
    }

    func ping(_ address: ServerAddress, timeout: Double) async throws -> ServerStatus {
        try lock.withLock {
            guard alive else { throw ServerControlError.noAnswer(endpoint: address.control, seconds: timeout) }
            defer { pings += 1 }
            var status = script(pings)
            status.finished = Array(Set(status.finished).union(finishedSimulations)).sorted()
            return status
        }
    }

    @discardableResult
    func giveUp(_ id: Int, at address: ServerAddress, timeout: Double) async throws -> ServerStatus {
        try lock.withLock {
            guard alive else { throw ServerControlError.noAnswer(endpoint: address.control, seconds: timeout) }
            toldGivenUp.append(id)
            return script(pings)
        }
    }
}
