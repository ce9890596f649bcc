import Testing
import WireProtocol

@testable import Ingest

/// SplitMix64: a small seeded generator, so a failure replays.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A data or finish message as frames.
struct Frames {
    var first: [UInt8]
    var second: [UInt8]?
    var extra = 0
}

/// A property test: 100,000 random and mutated messages go to the decoder and to the ingest's handlers, in process;
/// none crashes, each is counted once under the reason expected of it, and the valid stream interleaved with them
/// still yields exactly the right samples.
@Suite struct HostileMessageTests {
    let config = configuration(simulations: 0..<4, timeSteps: 10, ranks: 2)

    func payload(_ values: [Float], as type: ElementType) -> [UInt8] {
        switch type {
        case .float32: values.withUnsafeBytes { Array($0) }
        case .float64: values.map(Double.init).withUnsafeBytes { Array($0) }
        }
    }

    @Test func hundredThousandHostileMessagesAreCountedAndChangeNothing() throws {
        var random = SplitMix64(state: 2024)
        let sinks = [CollectingSink(), CollectingSink()]
        let (registration, assemblers, registry) = IngestServer.handlers(
            configuration: config, sinks: sinks, dataEndpoints: ["tcp://127.0.0.1:1", "tcp://127.0.0.1:2"])

        func register(_ message: RegisterMessage) -> [UInt8] {
            message.encoded().withUnsafeBytes { registration.reply(to: $0) }
        }
        func validRegister(_ simulation: UInt32, attempt: UInt32 = 0) -> RegisterMessage {
            RegisterMessage(
                token: testToken, simulationID: simulation, attempt: attempt, ranks: 1, timeSteps: 10,
                fields: config.fields)
        }
        var sessions: [UInt32: (attempt: UInt32, session: UInt64)] = [:]
        for simulation: UInt32 in 0..<4 {
            let accept = try AcceptMessage.decode(register(validRegister(simulation)))
            sessions[simulation] = (0, accept.session)
        }
        let oldSession3 = sessions[3]?.session ?? 0
        // Simulation 3 restarts: attempt 0's messages become stale.
        sessions[3] = (1, try AcceptMessage.decode(register(validRegister(3, attempt: 1))).session)

        // The valid stream: 2 chunks of each field of each step, float32 or float64, and one finish per training rank.
        var valid: [(rank: Int, frames: Frames)] = []
        for simulation: UInt32 in 0..<4 {
            guard let (attempt, session) = sessions[simulation] else { continue }
            for step: UInt32 in 0..<10 {
                for (index, field) in config.fields.enumerated() {
                    let values = fieldValues(simulation, step, index, size: Int(field.size))
                    let half = values.count / 2
                    for (offset, chunk) in [(0, Array(values[..<half])), (half, Array(values[half...]))] {
                        let type: ElementType = Bool.random(using: &random) ? .float32 : .float64
                        let header = DataHeader(
                            simulationID: simulation, attempt: attempt, session: session, timeStep: step, rank: 0,
                            fieldIndex: UInt16(index), elementType: type, elementCount: UInt64(chunk.count),
                            offset: UInt64(offset))
                        valid.append(
                            (
                                Int(simulation + step) % 2,
                                Frames(first: header.encoded(), second: payload(chunk, as: type))
                            ))
                    }
                }
            }
        }
        let finishes = (0..<4).flatMap { (simulation: UInt32) -> [(rank: Int, frames: Frames)] in
            let (attempt, session) = sessions[simulation] ?? (0, 0)
            let bytes = FinishMessage(
                simulationID: simulation, attempt: attempt, session: session, rank: 0, timeStepsSent: 10
            ).encoded()
            return [(0, Frames(first: bytes)), (1, Frames(first: bytes))]
        }

        func deliver(_ frames: Frames, to rank: Int) {
            frames.first.withUnsafeBytes { first in
                if let second = frames.second {
                    second.withUnsafeBytes { second in
                        assemblers[rank].handle(first: first, second: second, frameCount: 2 + frames.extra)
                    }
                } else {
                    assemblers[rank].handle(first: first, second: nil, frameCount: 1 + frames.extra)
                }
            }
        }

        /// A hostile data-socket message and the reason it must be counted under (nil: any reason, once).
        func hostileData() -> (Frames, Int, RejectionReason?) {
            let simulation = UInt32.random(in: 0..<4, using: &random)
            let step = UInt32.random(in: 0..<10, using: &random)
            let field = Int.random(in: 0..<2, using: &random)
            let (attempt, session) = sessions[simulation] ?? (0, 0)
            let size = Int(config.fields[field].size)
            var header = DataHeader(
                simulationID: simulation, attempt: attempt, session: session, timeStep: step, rank: 0,
                fieldIndex: UInt16(field), elementType: .float32, elementCount: UInt64(size), offset: 0)
            let rank = Int(simulation + step) % 2
            let body = [UInt8](repeating: 0x41, count: size * 4)
            var frames = Frames(first: header.encoded(), second: body)
            switch Int.random(in: 0..<20, using: &random) {
            case 0:
                frames.first[Int.random(in: 0..<4, using: &random)] ^= UInt8.random(in: 1...255, using: &random)
                return (frames, rank, .magic)
            case 1:
                frames.first[4] = UInt8.random(in: 2...255, using: &random)
                return (frames, rank, .version)
            case 2:
                frames.first[6] = [1, 2, 3, 6, 9, 16, 17, 200].randomElement(using: &random) ?? 9
                return (frames, rank, .kind)
            case 3:
                frames.first = Array(frames.first.prefix(Int.random(in: 0..<56, using: &random)))
                return (frames, rank, .truncated)
            case 4:
                frames.first += (0..<Int.random(in: 1...64, using: &random)).map { _ in
                    UInt8.random(in: 0...255, using: &random)
                }
                return (frames, rank, .oversized)
            case 5:
                frames.second = nil
                return (frames, rank, .truncated)
            case 6:
                frames.extra = Int.random(in: 1...3, using: &random)
                return (frames, rank, .oversized)
            case 7:
                frames.second = Array(body.prefix(Int.random(in: 0..<body.count, using: &random)))
                return (frames, rank, .truncated)
            case 8:
                frames.second = body + [0]
                return (frames, rank, .oversized)
            case 9:
                header.session ^= UInt64.random(in: 1...UInt64.max, using: &random)
                return (Frames(first: header.encoded(), second: body), rank, .session)
            case 10:
                header.simulationID = UInt32.random(in: 4...UInt32.max, using: &random)
                return (Frames(first: header.encoded(), second: body), rank, .session)
            case 11:
                header.simulationID = 3
                header.attempt = 0
                header.session = oldSession3
                header.timeStep = UInt32.random(in: 0..<10, using: &random)
                return (Frames(first: header.encoded(), second: body), Int(3 + header.timeStep) % 2, .stale)
            case 12:
                frames.first[34] = [0, 3, 4, 255].randomElement(using: &random) ?? 0
                return (frames, rank, .malformed)
            case 13:
                frames.first[35 + Int.random(in: 0..<5, using: &random)] = UInt8.random(in: 1...255, using: &random)
                return (frames, rank, .malformed)
            case 14:
                header.elementCount = UInt64.random(in: (UInt64.max / 4 + 1)...UInt64.max, using: &random)
                return (Frames(first: header.encoded(), second: body), rank, .oversized)
            case 15:
                switch Int.random(in: 0..<5, using: &random) {
                case 0: header.timeStep = UInt32.random(in: 10...UInt32.max, using: &random)
                case 1: header.fieldIndex = UInt16.random(in: 2...UInt16.max, using: &random)
                case 2: header.rank = UInt32.random(in: 1...UInt32.max, using: &random)
                case 3: header.offset = UInt64.random(in: 1...UInt64.max, using: &random)
                default: header.elementCount = 0
                }
                let bytes = [UInt8](repeating: 0, count: header.payloadSize ?? 0)
                return (Frames(first: header.encoded(), second: bytes), Int(simulation + header.timeStep) % 2, .range)
            case 16:
                return (frames, 1 - rank, .route)
            case 17:
                let count = Int.random(in: 0..<120, using: &random)
                let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
                let expected: RejectionReason = count < 4 ? .truncated : .magic
                return (Frames(first: bytes, second: Bool.random(using: &random) ? body : nil), rank, expected)
            case 18:
                // One byte flipped where any change is fatal: preamble, identity, type, reserved.
                let positions = Array(0..<24) + Array(34..<40)
                let position = positions.randomElement(using: &random) ?? 0
                frames.first[position] ^= UInt8.random(in: 1...255, using: &random)
                return (frames, rank, nil)
            default:
                var finish = FinishMessage(
                    simulationID: simulation, attempt: attempt, session: session, rank: 0, timeStepsSent: 10
                ).encoded()
                if Bool.random(using: &random) {
                    finish[16] ^= 0x80
                    return (Frames(first: finish), rank, .session)
                }
                finish += [0]
                return (Frames(first: finish), rank, .oversized)
            }
        }

        /// A hostile register and the reason it must be refused with and counted under.
        func hostileRegister() -> ([UInt8], RefusalReason, RejectionReason) {
            var message = validRegister(UInt32.random(in: 0..<4, using: &random), attempt: 5)
            switch Int.random(in: 0..<7, using: &random) {
            case 0:
                message.token[Int.random(in: 0..<64, using: &random)] ^= UInt8.random(in: 1...255, using: &random)
                return (message.encoded(), .wrongToken, .token)
            case 1:
                message.simulationID = UInt32.random(in: 4...UInt32.max, using: &random)
                return (message.encoded(), .unknownSimulation, .simulation)
            case 2:
                message.fields[Int.random(in: 0..<2, using: &random)].size += 1
                return (message.encoded(), .fieldMismatch, .fields)
            case 3:
                return (
                    message.encoded(version: UInt16.random(in: 2...UInt16.max, using: &random)), .incompatibleVersion,
                    .version
                )
            case 4:
                let bytes = message.encoded()
                return (Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &random))), .malformed, .truncated)
            case 5: return (message.encoded() + [1], .malformed, .oversized)
            default:
                var bytes = message.encoded()
                bytes[88] = 0
                return (bytes, .malformed, .malformed)
            }
        }

        let total = 100_000
        var expected: [RejectionReason: Int] = [:]
        var anyReason = 0
        var validIndex = 0
        let validEvery = total / (valid.count + 1)
        var overlaps = 0
        for index in 0..<total {
            if index % validEvery == 0 && validIndex < valid.count {
                let (rank, frames) = valid[validIndex]
                deliver(frames, to: rank)
                // A resent first chunk while its sample is still partial overlaps what was received.
                if validIndex % 4 == 0 {
                    deliver(frames, to: rank)
                    overlaps += 1
                }
                validIndex += 1
            }
            let before = registry.statistics.rejected
            if index % 10 == 0 {
                let (bytes, refusal, reason) = hostileRegister()
                let reply = bytes.withUnsafeBytes { registration.reply(to: $0) }
                #expect(try RefuseMessage.decode(reply).reason == refusal)
                expected[reason, default: 0] += 1
                _ = try? WireMessage.decode(bytes)
            } else {
                let (frames, rank, reason) = hostileData()
                _ = try? WireMessage.decode(frames.first)
                deliver(frames, to: rank)
                if let reason { expected[reason, default: 0] += 1 } else { anyReason += 1 }
                if reason != nil {
                    let after = registry.statistics.rejected
                    let changed = RejectionReason.allCases.filter { after[$0, default: 0] != before[$0, default: 0] }
                    #expect(changed == [reason].compactMap { $0 }, "message \(index)")
                }
            }
            let after = registry.statistics.rejected
            #expect(after.values.reduce(0, +) == before.values.reduce(0, +) + 1, "message \(index) counted once")
        }
        while validIndex < valid.count {
            deliver(valid[validIndex].frames, to: valid[validIndex].rank)
            validIndex += 1
        }
        // A complete step resent: dropped as duplicates, not counted as rejected.
        for (rank, frames) in valid.prefix(4) { deliver(frames, to: rank) }
        for (rank, frames) in finishes { deliver(frames, to: rank) }
        // Once finished, the same chunks are rejected as `finished`; a repeated finish changes nothing.
        for (rank, frames) in valid.prefix(4) { deliver(frames, to: rank) }
        for (rank, frames) in finishes.prefix(2) { deliver(frames, to: rank) }

        expected[.overlap, default: 0] += overlaps
        expected[.finished, default: 0] += 4
        let statistics = registry.statistics
        #expect(statistics.totalRejected == total + overlaps + 4)
        for reason in RejectionReason.allCases
        where reason != .session && reason != .stale && reason != .magic
            && reason != .version && reason != .kind && reason != .malformed && reason != .oversized
            && reason != .truncated
        {
            #expect(statistics.rejected(reason) == expected[reason, default: 0], "\(reason)")
        }
        let flexible = statistics.totalRejected - RejectionReason.allCases.reduce(0) { $0 + expected[$1, default: 0] }
        #expect(flexible == anyReason)
        #expect(statistics.duplicates == 4)
        #expect(registry.isReceptionOver)

        let samples = sinks[0].collected + sinks[1].collected
        #expect(samples.count == 40)
        #expect(Set(samples.map { UInt64($0.simulationID) << 32 | UInt64($0.timeStep) }).count == 40)
        for sample in samples {
            #expect(sample.values.array == expectedSample(sample.simulationID, sample.timeStep, fields: config.fields))
        }
        #expect(assemblers.allSatisfy { $0.partialCount == 0 })
    }
}
