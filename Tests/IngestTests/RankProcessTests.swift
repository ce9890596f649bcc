import Synchronization
import Testing
import WireProtocol

@testable import Ingest

/// The keyed session rule and a training rank that is its own process (one rank of a multi-rank server), in process.
@Suite struct RankProcessTests {
    @Test func sipHashMatchesTheReferenceVectors() {
        // The SipHash paper's key 00…0f; messages 00 01 … (n − 1) for n = 0 and 15 (Aumasson and Bernstein, 2012).
        let k0: UInt64 = 0x0706_0504_0302_0100
        let k1: UInt64 = 0x0f0e_0d0c_0b0a_0908
        #expect(SipHash.hash(k0: k0, k1: k1, []) == 0x726f_db47_dd0e_0e31)
        #expect(SipHash.hash(k0: k0, k1: k1, Array(0..<15)) == 0xa129_ca61_49be_45e5)
    }

    @Test func sessionsDependOnTheTokenTheSimulationAndTheAttempt() {
        let key = SessionKey(token: testToken)
        let other = SessionKey(
            token: Array((String(repeating: "0123456789abcdef", count: 3) + "0123456789abcdee").utf8))
        let session = key.session(simulationID: 3, attempt: 1)
        #expect(session == SessionKey(token: testToken).session(simulationID: 3, attempt: 1))
        #expect(session != key.session(simulationID: 3, attempt: 2))
        #expect(session != key.session(simulationID: 4, attempt: 1))
        #expect(session != other.session(simulationID: 3, attempt: 1))
        #expect(session != 0)
    }

    @Test func registrationHandsOutTheKeyedSessionAndTheSameOneAgain() throws {
        let config = configuration()
        let (registration, _, _) = IngestServer.handlers(
            configuration: config, sinks: [CollectingSink()], dataEndpoints: ["tcp://127.0.0.1:1"])
        func register(attempt: UInt32) throws -> UInt64 {
            let message = RegisterMessage(
                token: testToken, simulationID: 2, attempt: attempt, ranks: 1, timeSteps: config.timeSteps,
                fields: config.fields)
            return try AcceptMessage.decode(message.encoded().withUnsafeBytes { registration.reply(to: $0) }).session
        }
        let key = SessionKey(token: testToken)
        #expect(try register(attempt: 0) == key.session(simulationID: 2, attempt: 0))
        #expect(try register(attempt: 0) == key.session(simulationID: 2, attempt: 0))
        #expect(try register(attempt: 1) == key.session(simulationID: 2, attempt: 1))
    }

    /// Rank 1 of 2, which never sees a registration.
    func rankOne(timeSteps: UInt32 = 10, parameterSet: @escaping @Sendable (UInt32, UInt32) -> Int = { _, _ in 0 })
        -> (SampleAssembler, IngestRegistry, CollectingSink)
    {
        var config = configuration(simulations: 0..<2, timeSteps: timeSteps, ranks: 2)
        config.rank = 1
        config.parameterSet = parameterSet
        let registry = IngestRegistry(configuration: config)
        let sink = CollectingSink()
        return (SampleAssembler(registry: registry, sink: sink, trainingRank: 1), registry, sink)
    }

    func send(
        _ assembler: SampleAssembler, simulation: UInt32, attempt: UInt32, step: UInt32, session: UInt64? = nil,
        fields: ClosedRange<Int> = 0...1
    ) {
        let key = SessionKey(token: testToken)
        for (index, field) in twoFields.enumerated() where fields.contains(index) {
            let header = DataHeader(
                simulationID: simulation, attempt: attempt,
                session: session ?? key.session(simulationID: simulation, attempt: attempt), timeStep: step, rank: 0,
                fieldIndex: UInt16(index), elementType: .float32, elementCount: field.size, offset: 0)
            let values = fieldValues(simulation, step, index, size: Int(field.size))
            header.encoded().withUnsafeBytes { first in
                values.withUnsafeBytes { assembler.handle(first: first, second: $0, frameCount: 2) }
            }
        }
    }

    @Test func aDataRankAuthenticatesBySessionAndIsDoneWithItsShare() {
        let (assembler, registry, sink) = rankOne()
        // Simulation 1's steps 0, 2, 4, 6, 8 are rank 1's ((1 + t) mod 2 == 1).
        send(assembler, simulation: 1, attempt: 0, step: 0, session: 12345)
        #expect(registry.statistics.rejected(.session) == 2, "both fields' chunks")
        send(assembler, simulation: 1, attempt: 0, step: 1)
        #expect(registry.statistics.rejected(.route) == 2)
        for step: UInt32 in [0, 2, 4, 6] { send(assembler, simulation: 1, attempt: 0, step: step) }
        #expect(sink.count == 4)
        #expect(registry.localCompletion() == [0, 0, 1, 1])
        send(assembler, simulation: 1, attempt: 0, step: 8)
        #expect(registry.localCompletion() == [0, 0, 1, 0], "simulation 1 is done on this rank")
        #expect(!registry.isReceptionOver, "done here is not done everywhere")
        // The server-wide view: rank 0 says simulation 0 was given up and simulation 1 is done there too.
        registry.applyGlobalCompletion([1, 0, 1, 0])
        #expect(registry.isReceptionOver)
        #expect(sink.collected.map(\.values) == [0, 2, 4, 6, 8].map { expectedSample(1, $0, fields: twoFields) })
    }

    @Test func aNewerAttemptDropsPartialStepsAndOlderAttemptsAreStale() {
        let (assembler, registry, sink) = rankOne()
        send(assembler, simulation: 1, attempt: 0, step: 0)
        send(assembler, simulation: 1, attempt: 0, step: 2, fields: 0...0)  // half of step 2
        #expect(assembler.partialCount == 1)
        send(assembler, simulation: 1, attempt: 1, step: 4)
        #expect(assembler.partialCount == 0, "the older attempt's partial step is dropped")
        send(assembler, simulation: 1, attempt: 0, step: 2, fields: 1...1)
        #expect(registry.statistics.rejected(.stale) == 1)
        send(assembler, simulation: 1, attempt: 1, step: 0)
        #expect(registry.statistics.duplicates == 2, "step 0 was a sample already")
        #expect(sink.collected.map(\.timeStep) == [0, 4])
        #expect(sink.collected.map(\.attempt) == [0, 1])
    }

    @Test func aNewParameterSetIsANewRunOfTheSimulation() {
        // Attempts from 2 on run with the simulation's first redraw.
        let (assembler, registry, sink) = rankOne(parameterSet: { _, attempt in attempt >= 2 ? 1 : 0 })
        for step: UInt32 in [0, 2, 4, 6, 8] { send(assembler, simulation: 1, attempt: 1, step: step) }
        #expect(registry.localCompletion()[3] == 0, "done under the plan's values")
        send(assembler, simulation: 1, attempt: 2, step: 0)
        #expect(registry.localCompletion()[3] == 1, "not done under the new values")
        for step: UInt32 in [2, 4, 6, 8] { send(assembler, simulation: 1, attempt: 2, step: step) }
        #expect(registry.localCompletion()[3] == 0)
        #expect(registry.statistics.duplicates == 0, "the new set's steps are no duplicates of the old set's")
        #expect(sink.collected.map(\.parameterSet) == [0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
    }
}
