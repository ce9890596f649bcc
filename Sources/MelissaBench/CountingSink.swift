import Buffers
import Dispatch
import Ingest
import Synchronization
import Training

/// A sink that counts samples (touching one value of each) and signals when `target` have arrived.
final class CountingSink: SampleSink {
    private let count = Atomic<Int>(0)
    private let checksum = Atomic<UInt32>(0)
    private let target: Int
    private let done = DispatchSemaphore(value: 0)

    init(target: Int) {
        self.target = target
    }

    func accept(_ sample: Sample) {
        checksum.wrappingAdd(sample.values.last?.bitPattern ?? 0, ordering: .relaxed)
        if count.add(1, ordering: .relaxed).newValue == target { done.signal() }
    }

    /// Waits for the target count; false after `seconds`.
    func wait(seconds: Double) -> Bool {
        done.wait(timeout: .now() + seconds) == .success
    }
}

/// A sink that keeps every sample in a training buffer, as the server's does (parameters and time step as input, the
/// field as output, the origin), and signals when `target` are held.
final class BufferingSink: SampleSink, @unchecked Sendable {
    private var buffer: TrainingBuffer<TrainingSample>?
    private let count = Atomic<Int>(0)
    private let target: Int
    private let done = DispatchSemaphore(value: 0)

    init(buffer: TrainingBuffer<TrainingSample>, target: Int) {
        self.buffer = buffer
        self.target = target
    }

    func accept(_ sample: Sample) {
        var training = TrainingSample(
            parameters: [1, 2, 3, 4, 5], timeStep: Float(sample.timeStep), field: sample.values)
        training.origin = SampleOrigin(simulationID: sample.simulationID, timeStep: sample.timeStep)
        buffer?.put(training)
        if count.add(1, ordering: .relaxed).newValue == target { done.signal() }
    }

    /// Waits for the target count; false after `seconds`.
    func wait(seconds: Double) -> Bool {
        done.wait(timeout: .now() + seconds) == .success
    }

    /// Lets the buffer go (call once the ingest has stopped).
    func release() { buffer = nil }
}
