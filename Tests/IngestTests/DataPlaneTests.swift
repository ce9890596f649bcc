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
