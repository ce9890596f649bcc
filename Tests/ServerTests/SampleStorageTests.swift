import Buffers
import Foundation
import Ingest
import MelissaClient
import Synchronization
import Testing
import Training
import Transport
import WireProtocol

@testable import Server

/// The samples' storage: a time step that arrives in one float32 frame keeps that ZeroMQ frame as its values (no
/// copy), any other is assembled straight into storage of its own; both hold the same values, and a kept frame is
/// freed (its `ReceivedFrame` deinitialised, which closes the message) when its sample leaves the buffer.
@Suite struct SampleStorageTests {
    /// Keeps every sample it gets.
    final class Collector: SampleSink {
        private let samples = Mutex<[Sample]>([])
        func accept(_ sample: Sample) { samples.withLock { $0.append(sample) } }
        var collected: [Sample] { samples.withLock { $0.sorted { $0.timeStep < $1.timeStep } } }
        func take() -> [Sample] {
            samples.withLock { samples in
                defer { samples = [] }
                return samples.sorted { $0.timeStep < $1.timeStep }
            }
        }
    }

    /// How a time step is sent.
    enum Sending {
        case whole
        case chunks(Int)
        case float64
    }

    static let token = Array(String(repeating: "0123456789abcdef", count: 4).utf8)

    /// The value of element `index` at `step`: distinct and exact in float32 (and float64).
    static func value(_ step: UInt32, _ index: Int) -> Float { Float(step) * 65_536 + Float(index) + 0.5 }

    /// `steps` time steps of one field of `size` values, sent as `sending` says through the real ingest, with whole
    /// frames kept or not; the samples in time-step order.
    static func receive(
        size: Int, steps: UInt32 = 3, sending: Sending, keepsWholeFrames: Bool = true
    ) throws -> [Sample] {
        let fields = [FieldDeclaration(name: "u", size: UInt64(size))]
        var configuration = IngestConfiguration(token: token, simulationIDs: [0], fields: fields, timeSteps: steps)
        configuration.keepsWholeFrames = keepsWholeFrames
        let sink = Collector()
        let server = try IngestServer(configuration: configuration, sinks: [sink])
        let address = try server.start()
        defer { server.stop() }
        let context = try ZMQContext()
        let identity = SimulationIdentity(simulationID: 0, timeSteps: steps, fields: fields)
        let registration = try StreamingClient.register(
            context: context, endpoint: address.registration, token: token, identity: identity, timeout: 30)
        let client = try StreamingClient(context: context, identity: identity, registration: registration)
        for step in 0..<steps {
            let values = (0..<size).map { value(step, $0) }
            switch sending {
            case .whole:
                try client.send(timeStep: step, field: 0, values: values)
            case .chunks(let count):
                let length = (size + count - 1) / count
                for start in stride(from: 0, to: size, by: length) {
                    try client.send(
                        timeStep: step, field: 0, values: Array(values[start..<min(size, start + length)]),
                        offset: UInt64(start))
                }
            case .float64:
                try client.send(timeStep: step, field: 0, values: values.map(Double.init))
            }
        }
        try client.finish()
        client.close()
        let deadline = Date().addingTimeInterval(30)
        while sink.collected.count < Int(steps), Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        return sink.take()
    }

    /// 32,768 values: 128 KiB, above the size from which a whole frame is kept.
    static let large = 32_768

    @Test func aWholeStepInOneFrameIsKeptAndEqualsTheSameStepAssembledFromChunks() throws {
        let whole = try Self.receive(size: Self.large, sending: .whole)
        let chunked = try Self.receive(size: Self.large, sending: .chunks(4))
        let copied = try Self.receive(size: Self.large, sending: .whole, keepsWholeFrames: false)
        let converted = try Self.receive(size: Self.large, sending: .float64)
        #expect(whole.map(\.timeStep) == [0, 1, 2])
        for samples in [chunked, copied, converted] {
            #expect(samples.map(\.timeStep) == whole.map(\.timeStep))
            #expect(samples.map(\.values) == whole.map(\.values))
        }
        let expected = (0..<UInt32(3)).map { step in (0..<Self.large).map { Self.value(step, $0) } }
        #expect(whole.map(\.values.array) == expected)
        #expect(whole.allSatisfy { $0.values.isAdopted && $0.values.storageOwner is ReceivedFrame })
        #expect(chunked.allSatisfy { !$0.values.isAdopted }, "chunks are assembled into the sample's own storage")
        #expect(copied.allSatisfy { !$0.values.isAdopted })
        #expect(converted.allSatisfy { !$0.values.isAdopted }, "float64 is converted, never kept")
    }

    @Test func aSmallWholeStepIsCopied() throws {
        let samples = try Self.receive(size: 1000, sending: .whole)
        #expect(samples.count == 3)
        #expect(samples.allSatisfy { !$0.values.isAdopted })
        #expect(samples.map(\.values.array) == (0..<UInt32(3)).map { step in (0..<1000).map { Self.value(step, $0) } })
    }

    /// Training samples of `samples`, their outputs the received values.
    static func training(_ samples: [Sample]) -> [TrainingSample] {
        samples.map { TrainingSample(parameters: [1, 2], timeStep: Float($0.timeStep), field: $0.values) }
    }

    @Test func aKeptFrameIsFreedWhenItsSampleIsReadFromAFIFO() throws {
        var samples = try Self.receive(size: Self.large, sending: .whole)
        let first = Weak(samples.first?.values.storageOwner)
        let last = Weak(samples.last?.values.storageOwner)
        #expect(first.object != nil && last.object != nil)
        let buffer = TrainingBuffer<TrainingSample>(policy: .fifo, capacity: 3, watermark: 1, seed: 1)
        for sample in Self.training(samples) { buffer.put(sample) }
        samples = []
        #expect(first.object != nil, "the buffer holds the frame")
        var read = buffer.get()
        #expect(read?.output.isAdopted == true)
        #expect(read?.origin == nil)
        read = nil
        #expect(first.object == nil, "read, then dropped: the frame is closed")
        #expect(last.object != nil, "still buffered")
        #expect(buffer.snapshot().count == 2)
    }

    @Test func aKeptFrameIsFreedWhenItsSampleIsEvicted() throws {
        let buffer = TrainingBuffer<TrainingSample>(policy: .reservoir, capacity: 2, watermark: 1, seed: 7)
        // Filled in a scope of its own, so that only the buffer holds the samples afterwards.
        let owners: [Weak] = try {
            let samples = try Self.receive(size: Self.large, steps: 3, sending: .whole)
            let training = Self.training(samples)
            buffer.put(training[0])
            buffer.put(training[1])
            // Both read once, so the reservoir may evict either when the third arrives.
            var batch: [TrainingSample] = []
            _ = buffer.getBatch(2, into: &batch)
            buffer.put(training[2])
            return samples.map { Weak($0.values.storageOwner) }
        }()
        let kept = buffer.snapshot().map { $0.sample.output.storageOwner }
        #expect(kept.count == 2)
        let alive = owners.filter { $0.object != nil }
        #expect(alive.count == 2, "the evicted sample's frame is closed")
        #expect(alive.allSatisfy { owner in kept.contains { $0 === owner.object } })
    }

    @Test func aCheckpointWritesAndRestoresKeptFramesAsValues() throws {
        let samples = try Self.receive(size: Self.large, sending: .whole)
        #expect(samples.allSatisfy { $0.values.isAdopted })
        let training = Self.training(samples)
        let trainer = try Trainer(
            configuration: TrainerConfiguration(
                architecture: MLPArchitecture(inputCount: 3, hidden: [4], outputCount: Self.large, activation: .relu),
                maxBatchSize: 2, seed: 1))
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("checkpoint.melissa")
        try ServerCheckpoint(
            trainer: trainer.state, buffer: training.enumerated().map { HeldSample(sample: $1, seen: $0) },
            received: [0: [0: [0, 1, 2]]], validation: [0: [training[0]]], batches: 1, elapsedSeconds: 0
        ).write(to: url)
        let restored = try ServerCheckpoint.read(from: url)
        #expect(restored.buffer.map(\.sample.output) == training.map(\.output))
        #expect(restored.buffer.map(\.sample.input) == training.map(\.input))
        #expect(restored.buffer.map(\.seen) == [0, 1, 2])
        #expect(restored.buffer.allSatisfy { !$0.sample.output.isAdopted }, "restored into storage of their own")
        #expect(restored.validation[0]?.map(\.output) == [training[0].output])
    }
}

/// A weak reference, to watch an object's lifetime.
struct Weak {
    weak var object: AnyObject?
    init(_ object: AnyObject?) { self.object = object }
}
