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

    /// Rank `rank` of 2 (rank 1 never sees a registration); `simulationRanks` as the plan would say.
    func rankOne(
        timeSteps: UInt32 = 10, rank: Int = 1, simulationRanks: UInt32? = nil,
        parameterSet: @escaping @Sendable (UInt32, UInt32) -> Int = { _, _ in 0 }
    ) -> (SampleAssembler, IngestRegistry, CollectingSink) {
        var config = configuration(simulations: 0..<2, timeSteps: timeSteps, ranks: 2)
        config.rank = rank
        config.simulationRanks = simulationRanks
        config.parameterSet = parameterSet
        let registry = IngestRegistry(configuration: config)
        let sink = CollectingSink()
        return (SampleAssembler(registry: registry, sink: sink, trainingRank: rank), registry, sink)
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
        #expect(registry.localCompletion() == [0, 0, 1, 1, 1, 1])
        send(assembler, simulation: 1, attempt: 0, step: 8)
        #expect(registry.localCompletion() == [0, 0, 1, 0, 1, 1], "simulation 1 is done on this rank")
        #expect(!registry.isReceptionOver, "done here is not done everywhere")
        // The server-wide view: rank 0 says simulation 0 was given up and simulation 1 is done there too.
        registry.applyGlobalCompletion([1, 0, 1, 0, 1, 1])
        #expect(registry.isReceptionOver)
        #expect(sink.collected.map(\.values.array) == [0, 2, 4, 6, 8].map { expectedSample(1, $0, fields: twoFields) })
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

    func finish(_ assembler: SampleAssembler, simulation: UInt32, attempt: UInt32, steps: UInt32) {
        let session = SessionKey(token: testToken).session(simulationID: simulation, attempt: attempt)
        FinishMessage(simulationID: simulation, attempt: attempt, session: session, rank: 0, timeStepsSent: steps)
            .encoded().withUnsafeBytes { assembler.handle(first: $0, second: nil, frameCount: 1) }
    }

    /// Issue 14, item 10: rank 0 serves registration, so data of an attempt it saw no registration of is rejected
    /// (`session`), however right its session; the other ranks cannot know and accept it on its session.
    @Test func rankZeroAcceptsNoDataOfAnUnregisteredAttempt() {
        let (assembler, registry, sink) = rankOne(rank: 0)
        send(assembler, simulation: 0, attempt: 0, step: 0)
        #expect(registry.statistics.rejected(.session) == 2)
        #expect(sink.count == 0)
    }

    /// Issue 14, items 8 and 9 on a rank process: once every rank's finish arrived here, the attempt ended here;
    /// ended on every rank without every step, the simulation is incomplete; a newer attempt takes over.
    @Test func anAttemptEndedEverywhereWithStepsMissingIsIncomplete() {
        let (assembler, registry, sink) = rankOne(simulationRanks: 1)
        for step: UInt32 in [0, 2, 4] { send(assembler, simulation: 1, attempt: 0, step: step) }
        finish(assembler, simulation: 1, attempt: 0, steps: 10)
        #expect(registry.localCompletion() == [0, 0, 1, 1, 1, 0], "ended here, not done here")
        send(assembler, simulation: 1, attempt: 0, step: 6)
        #expect(registry.statistics.rejected(.finished) == 2, "data after its rank's finish")
        registry.applyGlobalCompletion([0, 0, 1, 1, 1, 0])
        #expect(registry.progress().incomplete == [1])
        #expect(!registry.isReceptionOver)
        // The resubmission: its first data adopts attempt 1, which has not ended.
        send(assembler, simulation: 1, attempt: 1, step: 6)
        #expect(registry.localCompletion() == [0, 0, 1, 1, 1, 1])
        registry.applyGlobalCompletion([0, 0, 1, 1, 1, 1])
        #expect(registry.progress().incomplete == [])
        send(assembler, simulation: 1, attempt: 1, step: 8)
        #expect(sink.collected.map(\.timeStep) == [0, 2, 4, 6, 8])
        #expect(registry.localCompletion() == [0, 0, 1, 0, 1, 1], "done here")
        // Rank 0 says it is done there too: finished; a late finish of it changes nothing and is not counted.
        registry.applyGlobalCompletion([0, 0, 1, 0, 1, 1])
        #expect(registry.progress().finished == [1])
        let before = registry.statistics.totalRejected
        finish(assembler, simulation: 1, attempt: 1, steps: 10)
        #expect(registry.statistics.totalRejected == before)
        send(assembler, simulation: 1, attempt: 1, step: 0)
        #expect(registry.statistics.rejected(.finished) == 4, "data of a finished simulation")
    }
}
