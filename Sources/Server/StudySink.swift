import Buffers
import Foundation
import Ingest
import Synchronization
import Training

/// What a checkpoint records as received: simulation id → parameter set → time steps.
typealias ReceivedSteps = [UInt32: [Int: Set<UInt32>]]

/// Where the ingest's complete samples go: training samples into the buffer, validation samples into the held-out
/// set, each recorded as received (under its parameter set) in the same step, so a checkpoint sees the buffer and the
/// received set agree. A sample's input is the parameter set its attempt ran with (the plan's values or a redraw's).
final class StudySink: SampleSink {
    private struct State {
        var received: ReceivedSteps = [:]
        var receivedCount = 0
        var validation: [UInt32: [TrainingSample]] = [:]
    }

    /// The output statistics of the distinct training samples accepted, and the warm-up they gate.
    private struct Outputs {
        var statistics: FeatureStatistics
        var simulations: Set<UInt32> = []
        var warm: Bool
    }

    private let buffer: TrainingBuffer<TrainingSample>
    private let parameterSets: ParameterSets
    private let validationIDs: Set<UInt32>
    private let warmup: Warmup?
    private let state = Mutex(State())
    private let outputs: Mutex<Outputs>

    /// When the normalisation may be learnt: after `samples` training samples from `simulations` distinct
    /// simulations.
    struct Warmup: Sendable {
        /// Training samples.
        var samples: Int
        /// Distinct simulations.
        var simulations: Int
    }

    /// `parameterSets` gives each sample's input; `validationIDs` are kept out of training; `outputCount` values a
    /// sample; with a `warmup`, the buffer's reads are held until the training samples accepted reach it.
    init(
        buffer: TrainingBuffer<TrainingSample>, parameterSets: ParameterSets, validationIDs: Set<UInt32>,
        outputCount: Int, warmup: Warmup? = nil
    ) {
        self.buffer = buffer
        self.parameterSets = parameterSets
        self.validationIDs = validationIDs
        self.warmup = warmup
        outputs = Mutex(Outputs(statistics: FeatureStatistics(features: outputCount), warm: warmup == nil))
        if warmup != nil { buffer.holdReads() }
    }

    /// Statistics of the output values of every distinct training sample accepted (since this process started, plus
    /// what a restored buffer held).
    var outputStatistics: FeatureStatistics { outputs.withLock { $0.statistics } }

    /// Whether the warm-up is over (always, without one).
    var isWarm: Bool { outputs.withLock { $0.warm } }

    /// Takes an offline study's held-out samples and the statistics of all its training samples (no warm-up: the
    /// data are all there).
    func loadOffline(validation: [UInt32: [TrainingSample]], outputs statistics: FeatureStatistics) {
        state.withLock { $0.validation = validation }
        outputs.withLock {
            $0.statistics = statistics
            $0.warm = true
        }
    }

    /// Ends the warm-up at once (a trainer restored with its normalisation learnt already).
    func skipWarmup() {
        outputs.withLock { $0.warm = true }
        buffer.releaseReads()
    }

    /// Distinct training simulations whose samples were accepted.
    var trainingSimulationsSeen: Int { outputs.withLock { $0.simulations.count } }

    /// Counts an accepted training sample towards the output statistics and the warm-up; releases the buffer's reads
    /// once the warm-up is reached.
    private func count(_ sample: TrainingSample, simulation: UInt32?) {
        let release = outputs.withLock { outputs -> Bool in
            sample.output.withUnsafeBufferPointer { outputs.statistics.add($0) }
            if let simulation { outputs.simulations.insert(simulation) }
            guard !outputs.warm, let warmup else { return false }
            if outputs.statistics.count >= warmup.samples, outputs.simulations.count >= warmup.simulations {
                outputs.warm = true
                return true
            }
            return false
        }
        if release { buffer.releaseReads() }
    }

    func accept(_ sample: Sample) {
        guard let parameters = parameterSets.input(simulationID: sample.simulationID, parameterSet: sample.parameterSet)
        else { return }
        var training = TrainingSample(parameters: parameters, timeStep: Float(sample.timeStep), field: sample.values)
        if validationIDs.contains(sample.simulationID) {
            state.withLock { state in
                state.validation[sample.simulationID, default: []].append(training)
                record(sample, in: &state)
            }
            return
        }
        // Its training loss is attributed to where it came from (the per-simulation scores).
        training.origin = SampleOrigin(
            simulationID: sample.simulationID, timeStep: sample.timeStep, parameterSet: UInt32(sample.parameterSet))
        // The sample is recorded under the buffer's lock, right after it is placed, so a checkpoint (which snapshots
        // under that lock too) never sees one without the other. A full buffer is waited out on this receiving
        // thread (back-pressure); once the server stops, the sample is dropped unrecorded: not accepted, so the
        // launcher's reconciliation runs its simulation again after the restart.
        if buffer.put(training, placed: { state.withLock { record(sample, in: &$0) } }) {
            count(training, simulation: sample.simulationID)
        }
    }

    private func record(_ sample: Sample, in state: inout State) {
        if state.received[sample.simulationID, default: [:]][sample.parameterSet, default: []].insert(sample.timeStep)
            .inserted
        {
            state.receivedCount += 1
        }
    }

    /// Samples received so far.
    var receivedCount: Int { state.withLock { $0.receivedCount } }

    /// The held-out samples, by simulation id then arrival.
    var validationSamples: [TrainingSample] {
        state.withLock { state in state.validation.keys.sorted().flatMap { state.validation[$0] ?? [] } }
    }

    /// How many training samples were read n times, by n: those that left the buffer (its `seenAtExit`, the last
    /// bucket counting that many reads or more) and those it holds now. Counts since this server process started.
    func readCounts() -> [Int: Int] {
        var counts: [Int: Int] = [:]
        for (times, samples) in buffer.statistics.seenAtExit.enumerated() where samples > 0 {
            counts[times, default: 0] += samples
        }
        for times in buffer.snapshot({ contents in contents.map(\.seen) }) { counts[times, default: 0] += 1 }
        return counts
    }

    /// The held-out samples of each simulation, in arrival order.
    var validationBySimulation: [UInt32: [TrainingSample]] {
        state.withLock { $0.validation }
    }

    /// The buffer's contents, the received steps and the validation samples, taken atomically.
    func snapshot() -> (
        buffer: [HeldSample<TrainingSample>], received: ReceivedSteps, validation: [UInt32: [TrainingSample]]
    ) {
        // Lock order: the buffer's, then this sink's (as in `accept`).
        buffer.snapshot { contents in state.withLock { state in (contents, state.received, state.validation) } }
    }

    /// Puts back what a checkpoint held.
    func restore(
        buffer contents: [HeldSample<TrainingSample>], received: ReceivedSteps,
        validation: [UInt32: [TrainingSample]]
    ) {
        buffer.restore(contents)
        outputs.withLock { $0.simulations.formUnion(received.keys.filter { !validationIDs.contains($0) }) }
        for held in contents { count(held.sample, simulation: nil) }
        state.withLock { state in
            state.received = received
            state.receivedCount = received.values.reduce(0) { total, sets in
                sets.values.reduce(total) { $0 + $1.count }
            }
            state.validation = validation
        }
    }
}
