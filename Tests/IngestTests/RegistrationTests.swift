import Foundation
import Ingest
import MelissaClient
import Testing
import Transport
import WireProtocol

@Suite struct RegistrationTests {
    func refusal(_ body: @escaping @Sendable () throws -> Void) async throws -> RefusalReason? {
        try await onThread { () -> RefusalReason? in
            do {
                try body()
                return nil
            } catch StreamingClientError.refused(let reason, _) {
                return reason
            }
        }
    }

    @Test func acceptsAGoodRegistrationAndRefusesEachBadOneWithItsReason() async throws {
        let config = configuration(simulations: 0..<3)
        let server = try IngestServer(configuration: config, sinks: [CollectingSink()])
        let address = try server.start()
        defer { server.stop() }
        let context = try ZMQContext()
        let endpoint = address.registration

        let accepted = try await onThread {
            try StreamingClient.register(
                context: context, endpoint: endpoint, token: testToken, identity: identity(0, config: config))
        }
        #expect(accepted.endpoints == address.data)
        // The same attempt again (a lost accept): the same session.
        let again = try await onThread {
            try StreamingClient.register(
                context: context, endpoint: endpoint, token: testToken, identity: identity(0, config: config))
        }
        #expect(again.session == accepted.session)

        var wrongToken = testToken
        wrongToken[5] ^= 1
        let badToken = wrongToken
        #expect(
            try await refusal {
                _ = try StreamingClient.register(
                    context: context, endpoint: endpoint, token: badToken, identity: identity(1, config: config))
            } == .wrongToken)
        #expect(
            try await refusal {
                _ = try StreamingClient.register(
                    context: context, endpoint: endpoint, token: testToken, identity: identity(99, config: config))
            } == .unknownSimulation)
        #expect(
            try await refusal {
                _ = try StreamingClient.register(
                    context: context, endpoint: endpoint, token: testToken, identity: identity(1, config: config),
                    version: 2)
            } == .incompatibleVersion)
        var otherFields = identity(1, config: config)
        otherFields.fields[1].size += 1
        let mismatched = otherFields
        #expect(
            try await refusal {
                _ = try StreamingClient.register(
                    context: context, endpoint: endpoint, token: testToken, identity: mismatched)
            } == .fieldMismatch)
        var otherSteps = identity(1, config: config)
        otherSteps.timeSteps += 1
        let longer = otherSteps
        #expect(
            try await refusal {
                _ = try StreamingClient.register(
                    context: context, endpoint: endpoint, token: testToken, identity: longer)
            } == .fieldMismatch)

        // Malformed: raw bytes through a DEALER.
        let malformedReply = try await onThread { () -> [UInt8] in
            let dealer = try Socket(context: context, type: .dealer)
            defer { dealer.close() }
            try dealer.setOption(.linger, 0)
            try dealer.setOption(.receiveTimeout, 30_000)
            try dealer.connect(endpoint)
            var bytes = RegisterMessage(
                token: testToken, simulationID: 1, attempt: 0, ranks: 1, timeSteps: 10, fields: twoFields
            ).encoded()
            bytes[88] = 0  // field count 0
            try dealer.send(bytes)
            return try dealer.receiveFrames()?.frames.last ?? []
        }
        #expect(try RefuseMessage.decode(malformedReply).reason == .malformed)

        // Finished: simulation 2 streams everything and finishes; registering again is refused.
        try await onThread {
            try stream(context: context, address: address, config: config, simulation: 2, steps: 0..<10)
        }
        #expect(await server.wait(timeout: .seconds(60)) { $0.completedTimeSteps(of: 2).count == 10 })
        #expect(
            await server.wait(timeout: .seconds(60)) { server in
                server.statistics.registrations == 2 && !server.isReceptionOver
            })
        try await Task.sleep(for: .milliseconds(1))
        let finishedDeadline = ContinuousClock.now + .seconds(60)
        var reason: RefusalReason?
        while reason != .finished && ContinuousClock.now < finishedDeadline {
            reason = try await refusal {
                _ = try StreamingClient.register(
                    context: context, endpoint: endpoint, token: testToken,
                    identity: identity(2, attempt: 1, config: config))
            }
            if reason != .finished { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(reason == .finished)

        let statistics = server.statistics
        #expect(statistics.rejected(.token) == 1)
        #expect(statistics.rejected(.simulation) == 1)
        #expect(statistics.rejected(.version) == 1)
        #expect(statistics.rejected(.fields) == 2)
        #expect(statistics.rejected(.malformed) == 1)
        #expect(statistics.rejected(.finished) >= 1)
    }

    @Test func publishesServerAddressAtomically() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("melissa-ingest-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var config = configuration(ranks: 2)
        config.studyDirectory = directory
        let server = try IngestServer(configuration: config, sinks: [CollectingSink(), CollectingSink()])
        let address = try server.start()
        defer { server.stop() }
        let read = try ServerAddress.read(fromDirectory: directory, timeout: 5)
        #expect(read == address)
        #expect(read.data.count == 2 && read.protocol == 1)
        #expect(read.data.allSatisfy { $0.hasPrefix("tcp://127.0.0.1:") })
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(names == [ServerAddress.fileName])
    }

    @Test func answersPingsWithStatus() async throws {
        let server = try IngestServer(configuration: configuration(), sinks: [CollectingSink()]) {
            TrainingStatus(
                population: [5], trainedPerSecond: 2, batches: 3, validationLoss: 0.25, validationRelativeL2: 0.154)
        }
        let address = try server.start()
        defer { server.stop() }
        let context = try ZMQContext()
        let reply = try await onThread { () -> [UInt8] in
            let dealer = try Socket(context: context, type: .dealer)
            defer { dealer.close() }
            try dealer.setOption(.linger, 0)
            try dealer.setOption(.receiveTimeout, 30_000)
            try dealer.connect(address.control)
            try dealer.send(PingMessage(sequence: 77).encoded())
            return try dealer.receiveFrames()?.frames.last ?? []
        }
        let status = try StatusMessage.decode(reply)
        #expect(status.sequence == 77)
        let json = try JSONSerialization.jsonObject(with: Data(status.json)) as? [String: Any]
        #expect(json?["population"] as? [Int] == [5])
        #expect(json?["validation_loss"] as? Double == 0.25)
        #expect(json?["validation_relative_l2"] as? Double == 0.154)
        #expect(json?["reception_over"] as? Bool == false)
        #expect((json?["rejected"] as? [String: Int])?["token"] == 0)
    }

    @Test func giveUpEndsReceptionAndIsAnsweredWithStatus() async throws {
        let server = try IngestServer(configuration: configuration(simulations: 0..<2), sinks: [CollectingSink()])
        let address = try server.start()
        defer { server.stop() }
        let context = try ZMQContext()
        func send(_ message: [UInt8]) async throws -> StatusMessage {
            let reply = try await onThread { () -> [UInt8] in
                let dealer = try Socket(context: context, type: .dealer)
                defer { dealer.close() }
                try dealer.setOption(.linger, 0)
                try dealer.setOption(.receiveTimeout, 30_000)
                try dealer.connect(address.control)
                try dealer.send(message)
                return try dealer.receiveFrames()?.frames.last ?? []
            }
            return try StatusMessage.decode(reply)
        }
        #expect(try GiveUpMessage.decode(GiveUpMessage(simulationID: 1).encoded()) == GiveUpMessage(simulationID: 1))
        #expect(GiveUpMessage(simulationID: 1).encoded().count == WireFormat.giveUpSize)
        let first = try await send(GiveUpMessage(simulationID: 0).encoded())
        #expect(first.sequence == 0)
        #expect(!server.isReceptionOver)
        _ = try await send(GiveUpMessage(simulationID: 1).encoded())
        #expect(server.isReceptionOver)
        let status = try await send(PingMessage(sequence: 5).encoded())
        let json = try JSONSerialization.jsonObject(with: Data(status.json)) as? [String: Any]
        #expect(json?["reception_over"] as? Bool == true)
        // A give_up of the wrong length is rejected and counted, like any malformed control message.
        _ = try await onThread {
            let dealer = try Socket(context: context, type: .dealer)
            defer { dealer.close() }
            try dealer.setOption(.linger, 5_000)
            try dealer.connect(address.control)
            try dealer.send(GiveUpMessage(simulationID: 1).encoded() + [0])
        }
        #expect(await server.wait(timeout: .seconds(30)) { $0.statistics.rejected(.oversized) == 1 })
    }
}
