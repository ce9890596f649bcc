import Foundation
import Ingest
import MelissaClient
import Testing
import Transport
import WireProtocol

@Suite struct StreamingTests {
    /// Checks every (simulation, step) arrived exactly once and bit-identical.
    func expectExactlyOnce(
        _ samples: [Sample], simulations: Range<UInt32>, steps: UInt32, fields: [FieldDeclaration]
    ) {
        #expect(samples.count == simulations.count * Int(steps))
        var seen = Set<UInt64>()
        for sample in samples {
            #expect(seen.insert(UInt64(sample.simulationID) << 32 | UInt64(sample.timeStep)).inserted)
            let expected = expectedSample(sample.simulationID, sample.timeStep, fields: fields)
            #expect(sample.values.map(\.bitPattern) == expected.map(\.bitPattern))
        }
        for simulation in simulations {
            for step in 0..<steps {
                #expect(seen.contains(UInt64(simulation) << 32 | UInt64(step)))
            }
        }
    }

    @Test func fourConcurrentClientsAreReceivedExactlyOnceAndBitIdentical() async throws {
        let config = configuration(simulations: 0..<4, timeSteps: 50)
        let sink = CollectingSink()
        let server = try IngestServer(configuration: config, sinks: [sink])
        let address = try server.start()
        defer { server.stop() }
        let context = try ZMQContext()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for simulation: UInt32 in 0..<4 {
                group.addTask {
                    try await onThread {
                        try stream(
                            context: context, address: address, config: config, simulation: simulation, steps: 0..<50)
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(await server.wait(timeout: .seconds(120)))
        expectExactlyOnce(sink.collected, simulations: 0..<4, steps: 50, fields: config.fields)
        #expect(server.statistics.totalRejected == 0)
        #expect(server.statistics.duplicates == 0)
    }

    @Test func aKilledAndRestartedSimulationCountsEachStepOnce() async throws {
        let config = configuration(simulations: 0..<2, timeSteps: 40)
        let sink = CollectingSink()
        let server = try IngestServer(configuration: config, sinks: [sink])
        let address = try server.start()
        defer { server.stop() }
        let context = try ZMQContext()
        // Simulation 1 runs normally; simulation 0 dies after 15 steps, half-way through step 15 (one field only).
        try await onThread {
            try stream(context: context, address: address, config: config, simulation: 1, steps: 0..<40)
            let who = identity(0, config: config)
            let registration = try StreamingClient.register(
                context: context, endpoint: address.registration, token: testToken, identity: who)
            let client = try StreamingClient(context: context, identity: who, registration: registration)
            for step: UInt32 in 0..<15 {
                for (index, field) in config.fields.enumerated() {
                    try client.send(
                        timeStep: step, field: index, values: fieldValues(0, step, index, size: Int(field.size)))
                }
            }
            try client.send(timeStep: 15, field: 0, values: fieldValues(0, 15, 0, size: 64))
            client.close()
        }
        #expect(await server.wait(timeout: .seconds(60)) { $0.completedTimeSteps(of: 0).count == 15 })
        // The restart: attempt 1 registers and resends everything.
        try await onThread {
            try stream(context: context, address: address, config: config, simulation: 0, attempt: 1, steps: 0..<40)
        }
        #expect(await server.wait(timeout: .seconds(120)))
        expectExactlyOnce(sink.collected, simulations: 0..<2, steps: 40, fields: config.fields)
        #expect(server.statistics.duplicates == 15 * 2)  // two fields of each repeated step, each a complete chunk
        #expect(server.statistics.registrations == 3)

        // A late message of attempt 0 is dropped as stale and changes nothing.
        try await onThread {
            let old = identity(0, config: config)
            let push = try Socket(context: context, type: .push)
            try push.connect(address.data[0])
            let header = DataHeader(
                simulationID: 0, attempt: 0, session: 1, timeStep: 39, rank: 0, fieldIndex: 0, elementType: .float32,
                elementCount: 64, offset: 0)
            try push.send(header.encoded(), more: true)
            try push.send([UInt8](repeating: 0, count: 256))
            _ = old
            push.close()
        }
        #expect(await server.wait(timeout: .seconds(60)) { $0.statistics.rejected(.stale) == 1 })
        #expect(sink.count == 80)
    }

    @Test func badTrafficIsRejectedAndCountedWhileGoodTrafficFlows() async throws {
        let config = configuration(simulations: 0..<2, timeSteps: 30)
        let sink = CollectingSink()
        let server = try IngestServer(configuration: config, sinks: [sink])
        let address = try server.start()
        defer { server.stop() }
        let context = try ZMQContext()
        let garbage = Task {
            try await onThread { () -> Int in
                let push = try Socket(context: context, type: .push)
                try push.connect(address.data[0])
                var sent = 0
                for round in 0..<50 {
                    var magic = FinishMessage(simulationID: 0, attempt: 0, session: 1, rank: 0, timeStepsSent: 1)
                        .encoded()
                    magic[0] = 0x58
                    try push.send(magic)
                    try push.send(Array(repeating: UInt8(round), count: 3))  // truncated
                    let header = DataHeader(
                        simulationID: 1, attempt: 0, session: UInt64(round) + 12345, timeStep: 0, rank: 0,
                        fieldIndex: 0, elementType: .float32, elementCount: 64, offset: 0)
                    try push.send(header.encoded(), more: true)  // wrong session
                    try push.send([UInt8](repeating: 0xFF, count: 256))
                    sent += 3
                }
                push.close()
                return sent
            }
        }
        let intruders = Task {
            try await onThread { () -> Int in
                var refused = 0
                var token = testToken
                token[0] ^= 0x20
                for _ in 0..<10 {
                    do {
                        _ = try StreamingClient.register(
                            context: context, endpoint: address.registration, token: token,
                            identity: identity(1, config: config))
                    } catch StreamingClientError.refused(.wrongToken, _) {
                        refused += 1
                    }
                }
                return refused
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for simulation: UInt32 in 0..<2 {
                group.addTask {
                    try await onThread {
                        try stream(
                            context: context, address: address, config: config, simulation: simulation, steps: 0..<30)
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await garbage.value == 150)
        #expect(try await intruders.value == 10)
        #expect(await server.wait(timeout: .seconds(120)))
        #expect(await server.wait(timeout: .seconds(60)) { $0.statistics.totalRejected == 160 })
        expectExactlyOnce(sink.collected, simulations: 0..<2, steps: 30, fields: config.fields)
        let statistics = server.statistics
        #expect(statistics.rejected(.magic) == 50)
        #expect(statistics.rejected(.truncated) == 50)
        #expect(statistics.rejected(.session) == 50)
        #expect(statistics.rejected(.token) == 10)
    }

    @Test func twoTrainingRanksGetRoundRobinSteps() async throws {
        let config = configuration(simulations: 0..<3, timeSteps: 20, ranks: 2)
        let sinks = [CollectingSink(), CollectingSink()]
        let server = try IngestServer(configuration: config, sinks: sinks)
        let address = try server.start()
        defer { server.stop() }
        #expect(address.data.count == 2)
        let context = try ZMQContext()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for simulation: UInt32 in 0..<3 {
                group.addTask {
                    try await onThread {
                        try stream(
                            context: context, address: address, config: config, simulation: simulation, steps: 0..<20)
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(await server.wait(timeout: .seconds(120)))
        for (rank, sink) in sinks.enumerated() {
            #expect(sink.count == 30)
            #expect(sink.collected.allSatisfy { Int($0.simulationID + $0.timeStep) % 2 == rank })
        }
        expectExactlyOnce(sinks[0].collected + sinks[1].collected, simulations: 0..<3, steps: 20, fields: config.fields)
    }

    @Test func chunksFromSeveralRanksAndFloat64AreAssembled() async throws {
        let config = configuration(simulations: 0..<1, timeSteps: 5)
        let sink = CollectingSink()
        let server = try IngestServer(configuration: config, sinks: [sink])
        let address = try server.start()
        defer { server.stop() }
        let context = try ZMQContext()
        try await onThread {
            let who = identity(0, ranks: 2, config: config)
            let registration = try StreamingClient.register(
                context: context, endpoint: address.registration, token: testToken, identity: who)
            for rank: UInt32 in 0..<2 {
                let client = try StreamingClient(
                    context: context, identity: who, rank: rank, registration: registration)
                for step: UInt32 in 0..<5 {
                    for (index, field) in config.fields.enumerated() {
                        let half = Int(field.size) / 2
                        let all = fieldValues(0, step, index, size: Int(field.size))
                        let mine = Array(all[(Int(rank) * half)..<(Int(rank) * half + half)])
                        try client.send(
                            timeStep: step, field: index, values: mine.map(Double.init),
                            offset: UInt64(Int(rank) * half))
                    }
                }
                try client.finish()
                client.close()
            }
        }
        #expect(await server.wait(timeout: .seconds(60)))
        expectExactlyOnce(sink.collected, simulations: 0..<1, steps: 5, fields: config.fields)
    }
}

@Suite struct CurveTests {
    @Test(.enabled(if: ZMQContext.has("curve"), "libzmq without CURVE"))
    func anEncryptedServerStreamsToCurveClientsOnly() async throws {
        var curveConfig = configuration(simulations: 0..<1, timeSteps: 5)
        curveConfig.curveKeyPair = try CurveKeyPair.generate()
        let config = curveConfig
        let sink = CollectingSink()
        let server = try IngestServer(configuration: config, sinks: [sink])
        let address = try server.start()
        defer { server.stop() }
        let serverKey = try #require(address.curveServerKey)
        let context = try ZMQContext()
        // A client without the server's key gets no answer at all.
        let plain = try await onThread { () -> StreamingClientError? in
            do {
                _ = try StreamingClient.register(
                    context: context, endpoint: address.registration, token: testToken,
                    identity: identity(0, config: config), timeout: 0.3)
                return nil
            } catch {
                return error as? StreamingClientError
            }
        }
        #expect(plain == .timeout(0.3))
        try await onThread {
            let who = identity(0, config: config)
            let registration = try StreamingClient.register(
                context: context, endpoint: address.registration, token: testToken, identity: who,
                curveServerKey: serverKey)
            let client = try StreamingClient(
                context: context, identity: who, registration: registration, curveServerKey: serverKey)
            for step: UInt32 in 0..<5 {
                for (index, field) in config.fields.enumerated() {
                    try client.send(
                        timeStep: step, field: index, values: fieldValues(0, step, index, size: Int(field.size)))
                }
            }
            try client.finish()
            client.close()
        }
        #expect(await server.wait(timeout: .seconds(60)))
        #expect(sink.count == 5)
    }
}
