import Training
import Transport
import WireProtocol

/// The message handler of one training rank: validates `data` and `finish` messages against the registry,
/// assembles chunks into complete samples and hands them to the rank's sink. Every rejected message is counted and
/// changes nothing. Owned by the rank's receiving thread; it takes frames, not sockets, so it is tested in-process.
final class SampleAssembler {
    private let registry: IngestRegistry
    private let sink: any SampleSink
    private let trainingRank: Int
    private let trainingRanks: Int
    private let fieldSizes: [UInt64]
    private let fieldOffsets: [Int]
    private let sampleSize: Int
    private let timeSteps: UInt32
    private var partials: [UInt64: PartialSample] = [:]
    private var seenGeneration = 0
    private let keepsWholeFrames: Bool

    init(registry: IngestRegistry, sink: any SampleSink, trainingRank: Int) {
        self.registry = registry
        self.sink = sink
        self.trainingRank = trainingRank
        let configuration = registry.configuration
        trainingRanks = configuration.trainingRanks
        fieldSizes = configuration.fields.map(\.size)
        fieldOffsets = configuration.fieldOffsets
        sampleSize = configuration.sampleSize
        timeSteps = configuration.timeSteps
        keepsWholeFrames = configuration.keepsWholeFrames
    }

    /// Partial samples held (for tests).
    var partialCount: Int { partials.count }

    /// Payloads at least this large that hold a whole time step of float32 are kept as the sample's storage rather
    /// than copied. Smaller frames may share one receive buffer of libzmq (4.3 decodes messages that fit its 8 KiB
    /// batch into a shared arena), which holding one would keep alive; copying them costs little.
    static let adoptionMinimumBytes = 64 * 1024

    /// Handles one message: its first frame, its second frame if any, and how many frames it had. `detachSecond`
    /// takes the second frame's content out of the receiver's message for a sample to keep (nil: always copy).
    func handle(
        first: UnsafeRawBufferPointer, second: UnsafeRawBufferPointer?, frameCount: Int,
        detachSecond: (() -> ReceivedFrame)? = nil
    ) {
        do throws(DecodeError) {
            switch try Preamble.decode(first).kind {
            case .data:
                let header = try DataHeader.decode(first)
                guard frameCount >= 2, let payload = second else { throw .truncated }
                guard frameCount == 2 else { throw .oversized }
                handleData(header, payload: payload, detach: detachSecond)
            case .finish:
                let message = try FinishMessage.decode(first)
                guard frameCount == 1 else { throw .oversized }
                handleFinish(message)
            case let kind:
                throw .kind(kind.rawValue)
            }
        } catch {
            registry.count(error.reason)
        }
    }

    private func handleFinish(_ message: FinishMessage) {
        switch registry.check(
            simulationID: message.simulationID, attempt: message.attempt, session: message.session, timeStep: nil,
            rank: message.rank, trainingRank: trainingRank)
        {
        case .rejected, .over: return
        case .current(let ranks, _, _):
            guard message.rank < ranks, message.timeStepsSent <= timeSteps else {
                registry.count(.range)
                return
            }
            registry.finish(simulationID: message.simulationID, rank: message.rank, trainingRank: trainingRank)
        }
    }

    private func handleData(_ header: DataHeader, payload: UnsafeRawBufferPointer, detach: (() -> ReceivedFrame)?) {
        let check = registry.check(
            simulationID: header.simulationID, attempt: header.attempt, session: header.session,
            timeStep: header.timeStep, rank: header.rank, trainingRank: trainingRank)
        guard case .current(let ranks, let stepDone, let parameterSet) = check else { return }
        let field = Int(header.fieldIndex)
        guard header.timeStep < timeSteps, header.rank < ranks, field < fieldSizes.count, header.elementCount > 0
        else {
            registry.count(.range)
            return
        }
        let (end, overflow) = header.offset.addingReportingOverflow(header.elementCount)
        guard !overflow, end <= fieldSizes[field] else {
            registry.count(.range)
            return
        }
        guard (UInt64(header.simulationID) + UInt64(header.timeStep)) % UInt64(trainingRanks) == UInt64(trainingRank)
        else {
            registry.count(.route)
            return
        }
        // payloadSize is checked by the decoder; the count fits the field, so it fits an Int.
        let payloadSize = header.payloadSize ?? Int.max
        guard payload.count == payloadSize else {
            registry.count(payload.count < payloadSize ? .truncated : .oversized)
            return
        }
        if stepDone {
            registry.countDuplicate()
            return
        }
        dropReplacedPartials()
        let key = UInt64(header.simulationID) << 32 | UInt64(header.timeStep)
        let range = ChunkRange(field: field, start: header.offset, end: end)
        let count = Int(header.elementCount)
        var partial: PartialSample
        if let existing = partials.removeValue(forKey: key), existing.session == header.session {
            partial = existing
            if partial.received.contains(where: { $0.field == field && $0.start < end && range.start < $0.end }) {
                partials[key] = partial
                registry.count(.overlap)
                return
            }
        } else if keepsWholeFrames, count == sampleSize, let detach,
            let values = adopt(payload, type: header.elementType, detach)
        {
            // The whole time step in one frame: the frame is the sample's storage.
            complete(header, values: values, parameterSet: parameterSet)
            return
        } else {
            partial = PartialSample(
                session: header.session, values: FloatValues(uninitializedCount: sampleSize), received: [],
                missing: sampleSize)
        }
        let destination = fieldOffsets[field] + Int(header.offset)
        // Written in place: the partial's storage is held by nothing else until the sample is handed out.
        convert(
            payload, type: header.elementType, into: partial.values.unsafeMutableBuffer, at: destination, count: count)
        partial.received.append(range)
        partial.missing -= count
        if partial.missing > 0 {
            partials[key] = partial
            return
        }
        complete(header, values: partial.values, parameterSet: parameterSet)
    }

    private func complete(_ header: DataHeader, values: FloatValues, parameterSet: Int) {
        if registry.complete(simulationID: header.simulationID, timeStep: header.timeStep, parameterSet: parameterSet) {
            sink.accept(
                Sample(
                    simulationID: header.simulationID, timeStep: header.timeStep, values: values,
                    attempt: header.attempt, parameterSet: parameterSet))
        }
    }

    /// The payload frame itself as the sample's values, when it is float32 (little-endian, as the machine), aligned
    /// for `Float` and large enough (``adoptionMinimumBytes``); nil otherwise (then it is copied).
    private func adopt(_ payload: UnsafeRawBufferPointer, type: ElementType, _ detach: () -> ReceivedFrame)
        -> FloatValues?
    {
        #if _endian(little)
            guard type == .float32, payload.count >= Self.adoptionMinimumBytes, let base = payload.baseAddress,
                Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0
            else { return nil }
            let frame = detach()
            let bytes = frame.bytes
            let count = payload.count / MemoryLayout<Float>.stride
            // Moving the content out of the message keeps its bytes where they are (libzmq moves only the small
            // messages it keeps inline, far below the threshold); should they move, copy them from the frame.
            guard let start = bytes.baseAddress, bytes.count == payload.count else {
                preconditionFailure("zmq_msg_move changed the frame's size")
            }
            guard start == base else {
                return FloatValues(uninitializedCount: count) { values in
                    UnsafeMutableRawPointer(values.baseAddress.unsafelyUnwrapped).copyMemory(
                        from: start, byteCount: bytes.count)
                }
            }
            return FloatValues(
                adopting: start.bindMemory(to: Float.self, capacity: count), count: count, owner: frame)
        #else
            return nil
        #endif
    }

    /// After a re-registration, a finish that ended an attempt or a give-up, partial samples of sessions that are no
    /// longer current (or whose attempt is over) can never complete.
    private func dropReplacedPartials() {
        let generation = registry.generation
        guard generation != seenGeneration else { return }
        seenGeneration = generation
        partials = partials.filter { key, partial in
            registry.isCurrent(simulationID: UInt32(truncatingIfNeeded: key >> 32), session: partial.session)
        }
    }

    private func convert(
        _ payload: UnsafeRawBufferPointer, type: ElementType, into values: UnsafeMutableBufferPointer<Float>,
        at destination: Int, count: Int
    ) {
        guard let base = values.baseAddress, let source = payload.baseAddress else { return }
        let target = base + destination
        switch type {
        case .float32:
            #if _endian(little)
                UnsafeMutableRawPointer(target).copyMemory(from: source, byteCount: count * 4)
            #else
                for index in 0..<count {
                    let bits = UInt32(littleEndian: payload.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self))
                    target[index] = Float(bitPattern: bits)
                }
            #endif
        case .float64:
            for index in 0..<count {
                let bits = UInt64(littleEndian: payload.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self))
                target[index] = Float(Double(bitPattern: bits))
            }
        }
    }
}
