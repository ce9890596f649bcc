import Buffers
import Foundation
import Ingest
import Synchronization
import Training

/// Where the ingest's complete samples go: training samples into the buffer, validation samples into the held-out
/// set, each recorded as received in the same step, so a checkpoint sees the buffer and the received set agree.
final class StudySink: SampleSink {
    private struct State {
        var received: [UInt32: Set<UInt32>] = [:]
        var receivedCount = 0
        var validation: [UInt32: [TrainingSample]] = [:]
    }

    private let buffer: TrainingBuffer<TrainingSample>
    private let inputs: [UInt32: [Float]]
    private let validationIDs: Set<UInt32>
    private let state = Mutex(State())

    /// `inputs[id]` is simulation id's parameter vector; `validationIDs` are kept out of training.
    init(buffer: TrainingBuffer<TrainingSample>, inputs: [UInt32: [Float]], validationIDs: Set<UInt32>) {
        self.buffer = buffer
        self.inputs = inputs
        self.validationIDs = validationIDs
    }

    func accept(_ sample: Sample) {
        guard let parameters = inputs[sample.simulationID] else { return }
        let training = TrainingSample(parameters: parameters, timeStep: Float(sample.timeStep), field: sample.values)
        if validationIDs.contains(sample.simulationID) {
            state.withLock { state in
                state.validation[sample.simulationID, default: []].append(training)
                record(sample, in: &state)
            }
            return
        }
        // The put and the record happen under one lock, so a checkpoint never sees one without the other. A full
        // buffer is waited out outside the lock (back-pressure on this receiving thread).
        while true {
            let placed = state.withLock { state -> Bool in
                guard buffer.tryPut(training) else { return false }
                record(sample, in: &state)
                return true
            }
            if placed { return }
            usleep(200)
        }
    }

    private func record(_ sample: Sample, in state: inout State) {
        if state.received[sample.simulationID, default: []].insert(sample.timeStep).inserted {
            state.receivedCount += 1
        }
    }

    /// Samples received so far.
    var receivedCount: Int { state.withLock { $0.receivedCount } }

    /// The held-out samples, by simulation id then arrival.
    var validationSamples: [TrainingSample] {
        state.withLock { state in state.validation.keys.sorted().flatMap { state.validation[$0] ?? [] } }
    }

    /// The buffer's contents, the received steps and the validation samples, taken atomically.
    func snapshot() -> (
        buffer: [HeldSample<TrainingSample>], received: [UInt32: Set<UInt32>], validation: [UInt32: [TrainingSample]]
    ) {
        state.withLock { state in (buffer.snapshot(), state.received, state.validation) }
    }

    /// Puts back what a checkpoint held.
    func restore(
        buffer contents: [HeldSample<TrainingSample>], received: [UInt32: Set<UInt32>],
        validation: [UInt32: [TrainingSample]]
    ) {
        state.withLock { state in
            buffer.restore(contents)
            state.received = received
            state.receivedCount = received.values.reduce(0) { $0 + $1.count }
            state.validation = validation
        }
    }
}
