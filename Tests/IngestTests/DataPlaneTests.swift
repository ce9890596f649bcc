import Foundation
import Ingest
import MelissaClient
import Testing
import Transport
import WireProtocol

/// The `status` JSON of a `ping` to the server's control socket.
func pingStatus(_ context: ZMQContext, _ address: ServerAddress) throws -> [String: Any] {
    let dealer = try Socket(context: context, type: .dealer)
    defer { dealer.close() }
    try dealer.setOption(.linger, 0)
    try dealer.setOption(.receiveTimeout, 30_000)
    try dealer.connect(address.control)
    try dealer.send(PingMessage(sequence: 1).encoded())
    let status = try StatusMessage.decode(try dealer.receiveFrames()?.frames.last ?? [])
    return try JSONSerialization.jsonObject(with: Data(status.json)) as? [String: Any] ?? [:]
}

/// One list of the status's `simulations` object (nil when the status has no such key).
func simulationList(_ status: [String: Any], _ key: String) -> [Int]? {
    (status["simulations"] as? [String: Any])?[key] as? [Int]
}

/// What the tests read of a status: the `simulations` lists and `reception_over`.
struct StatusLists: Sendable {
    var running: [Int]?
    var finished: [Int]?
    var incomplete: [Int]?
    var receptionOver: Bool?
}

/// The lists of the server's status (a ping on the calling thread).
func statusLists(_ context: ZMQContext, _ address: ServerAddress) throws -> StatusLists {
    let status = try pingStatus(context, address)
    return StatusLists(
        running: simulationList(status, "running"), finished: simulationList(status, "finished"),
        incomplete: simulationList(status, "incomplete"), receptionOver: status["reception_over"] as? Bool)
}

/// Sends `give_up` for `simulation` to the control socket and waits for its `status` answer.
func sendGiveUp(_ context: ZMQContext, _ address: ServerAddress, simulation: UInt32) throws {
    let dealer = try Socket(context: context, type: .dealer)
    defer { dealer.close() }
    try dealer.setOption(.linger, 0)
    try dealer.setOption(.receiveTimeout, 30_000)
    try dealer.connect(address.control)
    try dealer.send(GiveUpMessage(simulationID: simulation).encoded())
    _ = try StatusMessage.decode(try dealer.receiveFrames()?.frames.last ?? [])
}

/// Rejections counted under the reason named `name` (0 for a reason this build does not have).
func rejections(_ statistics: IngestStatistics, _ name: String) -> Int {
    RejectionReason(rawValue: name).map { statistics.rejected($0) } ?? 0
}

/// Sends `steps` of every field through `client`; with `of` ranks, only this rank's contiguous share of each field.
func send(
    _ client: StreamingClient, simulation: UInt32, steps: [UInt32], config: IngestConfiguration,
    rank: Int = 0, of ranks: Int = 1
) throws {
    for step in steps {
        for (index, field) in config.fields.enumerated() {
            let share = Int(field.size) / ranks
            let all = fieldValues(simulation, step, index, size: Int(field.size))
            try client.send(
                timeStep: step, field: index, values: Array(all[(rank * share)..<(rank * share + share)]),
                offset: UInt64(rank * share))
        }
    }
}

/// Polls (on a dedicated thread, 30 s at most) until `condition` holds for the status.
func waitForStatus(
    _ context: ZMQContext, _ address: ServerAddress, until condition: ([String: Any]) -> Bool
) throws -> Bool {
    let deadline = Date().addingTimeInterval(30)
    while Date() < deadline {
        if condition(try pingStatus(context, address)) { return true }
        usleep(10_000)
    }
    return false
}

/// Issue 14, items 8, 9, 11 and 13: what the data plane refuses, against a real one-process ingest server.
@Suite struct DataPlaneTests {
    /// Item 8: data after a simulation finished, or after its rank's own `finish`, is rejected as `finished`:
    /// neither stored (no stray chunk waits for ever) nor trained on.
    @Test func dataAfterFinishIsRejectedAndCountedAsFinished() async throws {
        let config = configuration(simulations: 0..<2, timeSteps: 4)
        let sink = CollectingSink()
        let server = try IngestServer(configuration: config, sinks: [sink])
        let address = try server.start()
        defer { server.stop() }
        let context = try ZMQContext()
        try await onThread {
            // Simulation 0 sends everything and finishes; once it is finished, it sends step 0 again.
            let who = identity(0, config: config)
            let registration = try StreamingClient.register(
                context: context, endpoint: address.registration, token: testToken, identity: who)
            let client = try StreamingClient(context: context, identity: who, registration: registration)
            try send(client, simulation: 0, steps: [0, 1, 2, 3], config: config)
            try client.finish()
            #expect(try waitForStatus(context, address) { simulationList($0, "finished") == [0] })
            try send(client, simulation: 0, steps: [0], config: config)
            client.close()

            // Simulation 1 runs on 2 ranks; rank 0 finishes before it sent its half of step 3, then sends it.
            let pair = identity(1, ranks: 2, config: config)
            let shared = try StreamingClient.register(
                context: context, endpoint: address.registration, token: testToken, identity: pair)
            let first = try StreamingClient(context: context, identity: pair, rank: 0, registration: shared)
            let second = try StreamingClient(context: context, identity: pair, rank: 1, registration: shared)
            try send(first, simulation: 1, steps: [0, 1, 2], config: config, rank: 0, of: 2)
            try first.finish()
            try send(first, simulation: 1, steps: [3], config: config, rank: 0, of: 2)
            try send(second, simulation: 1, steps: [0, 1, 2, 3], config: config, rank: 1, of: 2)
            try second.finish()
            first.close()
            second.close()
        }
        #expect(await server.wait(timeout: .seconds(30)) { rejections($0.statistics, "finished") == 4 })
        let statistics = server.statistics
        #expect(rejections(statistics, "finished") == 4, "2 chunks after the finish, 2 after rank 0's own finish")
        #expect(statistics.duplicates == 0)
        #expect(sink.count == 7, "step 3 of simulation 1 never completed: its rank 0 half came after the finish")
        #expect(!sink.collected.contains { $0.simulationID == 1 && $0.timeStep == 3 })
    }

    /// Item 8: once the launcher gave a simulation up, its data (and its finish) is rejected as `finished`.
    @Test func dataAfterGiveUpIsRejectedAndCountedAsFinished() async throws {
        let config = configuration(simulations: 0..<1, timeSteps: 4)
        let sink = CollectingSink()
        let server = try IngestServer(configuration: config, sinks: [sink])
        let address = try server.start()
        defer { server.stop() }
        let context = try ZMQContext()
        try await onThread {
            let who = identity(0, config: config)
            let registration = try StreamingClient.register(
                context: context, endpoint: address.registration, token: testToken, identity: who)
            let client = try StreamingClient(context: context, identity: who, registration: registration)
            defer { client.close() }
            try send(client, simulation: 0, steps: [0, 1], config: config)
            let deadline = Date().addingTimeInterval(30)
            while server.statistics.samples < 2, Date() < deadline { usleep(5_000) }
            try sendGiveUp(context, address, simulation: 0)
            try send(client, simulation: 0, steps: [2], config: config)
            try client.send(timeStep: 3, field: 0, values: fieldValues(0, 3, 0, size: 64))  // a stray chunk
            try client.finish()
        }
        #expect(await server.wait(timeout: .seconds(30)) { rejections($0.statistics, "finished") == 4 })
        #expect(rejections(server.statistics, "finished") == 4, "3 chunks and the finish")
        #expect(sink.count == 2)
        #expect(server.isReceptionOver)
        let status = try await onThread { try statusLists(context, address) }
        #expect(status.running == [])
        #expect(status.finished == [])
    }

    /// Item 9: a `finish` ends an attempt, but the simulation is finished only when every step of every field arrived:
    /// otherwise it is `incomplete` in the status (not finished, not running) until a newer attempt sends the missing
    /// steps. A `finish` claiming more steps than the study has is a `range` rejection.
    @Test func aFinishWithStepsMissingLeavesTheSimulationIncompleteUntilANewerAttemptCompletesIt() async throws {
        let config = configuration(simulations: 0..<2, timeSteps: 6)
        let sink = CollectingSink()
        let server = try IngestServer(configuration: config, sinks: [sink])
        let address = try server.start()
        defer { server.stop() }
        let context = try ZMQContext()
        try await onThread {
            try stream(context: context, address: address, config: config, simulation: 1, steps: 0..<6)
            let who = identity(0, config: config)
            let registration = try StreamingClient.register(
                context: context, endpoint: address.registration, token: testToken, identity: who)
            // A finish that claims 7 steps of 6: out of range, it ends nothing.
            let push = try Socket(context: context, type: .push)
            try push.setOption(.linger, 5_000)
            try push.connect(address.data[0])
            try push.send(
                FinishMessage(
                    simulationID: 0, attempt: 0, session: registration.session, rank: 0, timeStepsSent: 7
                ).encoded())
            push.close()
            let client = try StreamingClient(context: context, identity: who, registration: registration)
            try send(client, simulation: 0, steps: [0, 1, 2, 4, 5], config: config)  // step 3 is lost
            try client.finish()
            client.close()
        }
        let ended = try await onThread {
            try waitForStatus(context, address) { simulationList($0, "incomplete") == [0] }
        }
        #expect(ended, "simulation 0 ended with step 3 missing")
        let status = try await onThread { try statusLists(context, address) }
        #expect(status.finished == [1])
        #expect(status.running == [])
        #expect(status.receptionOver == false)
        #expect(!server.isReceptionOver)
        #expect(rejections(server.statistics, "range") == 1)

        // The same attempt may not register again; a newer one may, and its missing step completes the simulation.
        let again = try await onThread { () -> UInt32? in
            do {
                _ = try StreamingClient.register(
                    context: context, endpoint: address.registration, token: testToken,
                    identity: identity(0, config: config))
                return nil
            } catch StreamingClientError.refused(let reason, _) {
                return reason.rawValue
            }
        }
        #expect(again == RefusalReason.malformed.rawValue)
        try await onThread {
            try stream(context: context, address: address, config: config, simulation: 0, attempt: 1, steps: 0..<6)
        }
        #expect(await server.wait(timeout: .seconds(30)))
        let final = try await onThread { try statusLists(context, address) }
        #expect(final.finished == [0, 1])
        #expect(final.incomplete == [])
        #expect(sink.count == 12)
        #expect(Set(sink.collected.map { UInt64($0.simulationID) << 32 | UInt64($0.timeStep) }).count == 12)
        #expect(server.statistics.duplicates == 10, "5 repeated steps × 2 fields: duplicates count chunks")
    }

    /// Item 11: a repeated register of the current attempt with other ranks is refused (reason 7) and counted as
    /// `ranks`; the registration it repeats stays as it was.
    @Test func aRepeatedRegisterWithOtherRanksIsRefused() async throws {
        let config = configuration(simulations: 0..<1, timeSteps: 3)
        let server = try IngestServer(configuration: config, sinks: [CollectingSink()])
        let address = try server.start()
        defer { server.stop() }
        let context = try ZMQContext()
        let reason = try await onThread { () -> UInt32? in
            _ = try StreamingClient.register(
                context: context, endpoint: address.registration, token: testToken,
                identity: identity(0, ranks: 1, config: config))
            do {
                _ = try StreamingClient.register(
                    context: context, endpoint: address.registration, token: testToken,
                    identity: identity(0, ranks: 3, config: config))
                return nil
            } catch StreamingClientError.refused(let reason, _) {
                return reason.rawValue
            }
        }
        #expect(reason == 7)
        #expect(rejections(server.statistics, "ranks") == 1)
        // One rank's finish still finishes it: the registration kept its single rank.
        try await onThread {
            try stream(context: context, address: address, config: config, simulation: 0, steps: 0..<3)
        }
        #expect(await server.wait(timeout: .seconds(10)))
    }

    /// Item 13: whatever the number of envelope frames before it (none, a REQ's empty delimiter, more), a message on
    /// the registration or control socket is its last frame and gets exactly one answer, echoing the envelope.
    @Test(arguments: [0, 1, 2, 3, 8])
    func everyRegistrationMessageGetsExactlyOneAnswerWhateverItsEnvelope(envelopeFrames: Int) async throws {
        let config = configuration(simulations: 0..<1, timeSteps: 3)
        let server = try IngestServer(configuration: config, sinks: [CollectingSink()])
        let address = try server.start()
        defer { server.stop() }
        let context = try ZMQContext()
        let envelope: [[UInt8]] =
            envelopeFrames == 0 ? [] : (1..<envelopeFrames).map { Array("hop \($0)".utf8) } + [[]]
        let register = RegisterMessage(
            token: testToken, simulationID: 0, attempt: 0, ranks: 1, timeSteps: 3, fields: config.fields)
        let answers = try await onThread { () -> [[[UInt8]]] in
            var answers: [[[UInt8]]] = []
            for (endpoint, message) in [
                (address.registration, register.encoded()), (address.registration, [UInt8](repeating: 7, count: 3)),
                (address.control, PingMessage(sequence: 9).encoded()),
            ] {
                let dealer = try Socket(context: context, type: .dealer)
                defer { dealer.close() }
                try dealer.setOption(.linger, 0)
                try dealer.setOption(.receiveTimeout, 10_000)
                try dealer.connect(endpoint)
                try dealer.send(frames: envelope + [message])
                guard let answer = try dealer.receiveFrames(maximumFrames: 64)?.frames else { continue }
                answers.append(answer)
                try dealer.setOption(.receiveTimeout, 300)
                if let extra = try dealer.receiveFrames(maximumFrames: 64)?.frames { answers.append(extra) }
            }
            return answers
        }
        try #require(answers.count == 3, "one answer to each message, and no second one")
        for answer in answers { #expect(Array(answer.dropLast()) == envelope, "the envelope is echoed") }
        #expect(try AcceptMessage.decode(answers[0].last ?? []).endpoints == address.data)
        #expect(try RefuseMessage.decode(answers[1].last ?? []).reason == .malformed)
        #expect(try StatusMessage.decode(answers[2].last ?? []).sequence == 9)
    }
}
