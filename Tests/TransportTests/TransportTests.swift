import Foundation
import Testing
import Transport

/// Runs blocking ZeroMQ work on a dedicated thread, never on the cooperative pool.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

@Suite struct TransportTests {
    @Test func pushPullCarriesMultiFrameMessagesOnAnEphemeralPort() async throws {
        let context = try ZMQContext()
        let pull = try Socket(context: context, type: .pull)
        try pull.setOption(.linger, 0)
        try pull.bind("tcp://127.0.0.1:*")
        let endpoint = try pull.lastEndpoint
        #expect(endpoint.hasPrefix("tcp://127.0.0.1:") && !endpoint.hasSuffix(":*"))
        let push = try Socket(context: context, type: .push)
        try push.connect(endpoint)
        try push.send(frames: [[1, 2, 3], [], Array(repeating: 7, count: 100_000)])
        let frames = try await onThread { () throws -> [[UInt8]] in
            try pull.setOption(.receiveTimeout, 10_000)
            return try pull.receiveFrames()?.frames ?? []
        }
        #expect(frames.count == 3)
        #expect(frames[0] == [1, 2, 3] && frames[1].isEmpty && frames[2].count == 100_000)
        push.close()
        pull.close()
    }

    @Test func pollTimesOutAndReceiveDoesNotBlockWhenAskedNotTo() throws {
        let context = try ZMQContext()
        let pull = try Socket(context: context, type: .pull)
        try pull.setOption(.linger, 0)
        try pull.bind("tcp://127.0.0.1:*")
        let poller = Poller(sockets: [pull])
        #expect(try poller.poll(milliseconds: 20) == 0)
        #expect(!poller.isReadable(0))
        #expect(try pull.receive(into: Message(), dontWait: true) == false)
        #expect(try pull.receiveFrames(dontWait: true) == nil)
    }

    @Test func shutdownWakesABlockedReceiverWithETERM() async throws {
        let context = try ZMQContext()
        let pull = try Socket(context: context, type: .pull)
        try pull.setOption(.linger, 0)
        try pull.bind("tcp://127.0.0.1:*")
        let blocked = Task {
            try await onThread { () -> ZMQError? in
                do {
                    try pull.receive(into: Message())
                    return nil
                } catch {
                    pull.close()
                    return error as? ZMQError
                }
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        context.shutdown()
        let error = try await blocked.value
        #expect(error?.isContextTerminated == true)
    }

    @Test func errorsCarryErrnoAndText() throws {
        let context = try ZMQContext()
        let socket = try Socket(context: context, type: .push)
        do {
            try socket.bind("nonsense://")
            Issue.record("bound a nonsense endpoint")
        } catch {
            #expect(error.code != 0)
            #expect(!error.message.isEmpty)
            #expect(error.description.contains("zmq_bind"))
        }
        socket.close()
        #expect(throws: ZMQError.self) { try socket.connect("tcp://127.0.0.1:1") }
    }

    @Test func capabilitiesAndOptions() throws {
        _ = ZMQContext.has("curve")
        #expect(ZMQContext.version.major == 4)
        let context = try ZMQContext()
        let router = try Socket(context: context, type: .router)
        try router.setOption(.routerMandatory, 1)
        try router.setOption(.sendHighWaterMark, 123)
        #expect(try router.option(.sendHighWaterMark) == 123)
        try router.setOption(.linger, 0)
        #expect(try router.option(.linger) == 0)
        try router.bind("tcp://127.0.0.1:*")
        // ROUTER_MANDATORY: an unknown peer is an error, not a silent drop.
        #expect(throws: ZMQError.self) { try router.send(frames: [Array("nobody".utf8), [1]], dontWait: true) }
        if ZMQContext.has("curve") {
            let keys = try CurveKeyPair.generate()
            #expect(keys.publicKey.utf8.count == 40 && keys.secretKey.utf8.count == 40)
        }
    }
}
