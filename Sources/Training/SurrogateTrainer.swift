import Foundation

/// What the server's training loop asks of a trainer, whatever trains the network: the native ``Trainer`` (the MLP
/// on OpenBLAS, in this process) and ``TorchTrainer`` (the user's PyTorch module in a trainer process of its own).
///
/// The calls are synchronous and, across ranks, collective in the same order on every rank (``step(staged:
/// communicator:)``, ``evaluate(_:baseline:into:)``'s callers, ``synchronizeParameters(_:)``). Drive a trainer from one
/// dedicated thread.
public protocol SurrogateTrainer: AnyObject {
    /// The configuration: the optimiser and its schedule, the largest batch, the widths, the seed, the normalisation.
    var configuration: TrainerConfiguration { get }
    /// Optimiser steps taken.
    var stepCount: Int { get }
    /// Samples trained on, all ranks together.
    var samplesSeen: Int { get }
    /// The input and output normalisation in use.
    var normalizer: Normalizer { get }
    /// Where a recipe that needs statistics takes them when the first step freezes the normalisation (see
    /// ``Trainer/warmupStatistics``).
    var warmupStatistics: (() -> FeatureStatistics)? { get set }
    /// A factor on the optimiser's learning rate, set by whoever drives training.
    var learningRateScale: Float { get set }

    /// Copies `samples` (raw) into the staging buffers; returns how many were staged.
    @discardableResult
    func stage(_ samples: some Collection<TrainingSample>) throws -> Int

    /// One optimiser step on the `count` staged samples of this rank (collective; `count` 0 on a rank without data).
    /// Returns nil, without updating, when no rank had data.
    @discardableResult
    func step(staged count: Int, communicator: some TrainingCommunicator) throws -> StepResult?

    /// The loss of each of this rank's samples at the latest step, in staging order (valid during the call).
    func withSampleLosses<Result>(_ body: (UnsafeBufferPointer<Float>) throws -> Result) rethrows -> Result

    /// The network's raw (de-normalised) outputs for `samples`' inputs, in batches: `body` gets each sample's index
    /// and its prediction (valid during the call only). Changes nothing but the staging buffers; not collective.
    func forEachPrediction<Samples: RandomAccessCollection<TrainingSample>>(
        _ samples: Samples, _ body: (Int, UnsafeBufferPointer<Float>) throws -> Void
    ) throws

    /// Keeps a copy of the current weights under `name` (the best validation's, the last), replacing one of that name.
    func keepWeights(as name: String) throws
    /// Puts back the weights kept under `name`.
    func useWeights(_ name: String) throws

    /// Makes every rank start from rank 0's weights (once, before the first step; collective).
    func synchronizeParameters(_ communicator: some TrainingCommunicator) throws

    /// Everything needed to continue training later: the plain state, and the backend's own bytes (nil for the
    /// native trainer, whose state is all in ``TrainerState``).
    func checkpointState() throws -> (state: TrainerState, backend: Data?)

    /// Writes the trained model with its normalisation and `metadata` to `url` (a melissa model file).
    func exportModel(to url: URL, parameterNames: [String], metadata: [String: String]) throws
}

extension SurrogateTrainer {
    /// Adds the validation sums of `samples` (their time step is their input's last value) to `sums`, with `baseline`
    /// the mean training field when known. Changes nothing but the staging buffers.
    public func evaluate<Samples: RandomAccessCollection<TrainingSample>>(
        _ samples: Samples, baseline: [Float]?, into sums: inout ValidationSums
    ) throws {
        let scale = normalizer.outputStd
        let array = Array(samples)
        try forEachPrediction(array) { index, prediction in
            let sample = array[index]
            let step = Int((sample.input.last ?? -1).rounded())
            sums.add(prediction: prediction, truth: sample.output, timeStep: step, scale: scale, baseline: baseline)
        }
    }
}

/// Copies `samples` (raw) row by row into `inputs` (`inputCount` values a row) and `outputs` (`outputCount` a row),
/// after checking that there are at most `maxRows` and that each has the network's widths; returns how many.
func stageSamples(
    _ samples: some Collection<TrainingSample>, inputs: UnsafeMutablePointer<Float>,
    outputs: UnsafeMutablePointer<Float>, architecture: MLPArchitecture, maxRows: Int
) throws -> Int {
    guard samples.count <= maxRows else { throw TrainingError.batchTooLarge(count: samples.count, maximum: maxRows) }
    for (row, sample) in samples.enumerated() {
        guard sample.input.count == architecture.inputCount, sample.output.count == architecture.outputCount else {
            throw TrainingError.sampleShape(
                expectedInputs: architecture.inputCount, expectedOutputs: architecture.outputCount,
                inputs: sample.input.count, outputs: sample.output.count)
        }
        let rowInputs = inputs + row * architecture.inputCount
        let rowOutputs = outputs + row * architecture.outputCount
        sample.input.withUnsafeBufferPointer {
            rowInputs.update(from: $0.baseAddress.unsafelyUnwrapped, count: $0.count)
        }
        sample.output.withUnsafeBufferPointer {
            rowOutputs.update(from: $0.baseAddress.unsafelyUnwrapped, count: $0.count)
        }
    }
    return samples.count
}

/// `(x − mean) · scale`, element by element, of `rows` rows of `width` values from `source` into `destination`.
func normalizeRows(
    _ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>, mean: UnsafePointer<Float>,
    scale: UnsafePointer<Float>, rows: Int, width: Int
) {
    for row in 0..<rows {
        let from = source + row * width
        let to = destination + row * width
        for j in 0..<width { to[j] = (from[j] - mean[j]) * scale[j] }
    }
}

extension Normalizer {
    /// Before a step on `rows` raw staged rows: a normalisation that is not frozen yet moves on, as the native
    /// trainer has always done. With a `recipe`, it freezes now from `warmupStatistics` (or the batch's outputs),
    /// merged over the ranks; without one, it absorbs the batch's statistics (all ranks) until it has seen its
    /// warm-up. Collective while not frozen (every rank is in the same state). Returns whether it changed.
    mutating func advance(
        recipe: NormalizationRecipe?, warmupStatistics: (() -> FeatureStatistics)?, rawInputs: UnsafePointer<Float>,
        rawOutputs: UnsafePointer<Float>, inputCount: Int, outputCount: Int, rows: Int,
        communicator: some TrainingCommunicator
    ) throws -> Bool {
        guard !isFrozen else { return false }
        if let recipe {
            let local =
                warmupStatistics?()
                ?? FeatureStatistics.ofBatch(
                    inputs: rawInputs, inputWidth: 0, outputs: rawOutputs, outputWidth: outputCount, rows: rows)
            self = recipe.normalizer(outputs: try communicator.merge(local))
            return true
        }
        let local = FeatureStatistics.ofBatch(
            inputs: rawInputs, inputWidth: inputCount, outputs: rawOutputs, outputWidth: outputCount, rows: rows)
        return absorb(try communicator.merge(local))
    }

    /// The normalisation a fresh trainer of `configuration` starts with: the recipe's, frozen, when it needs no
    /// statistics; learned at the first step when it does; without a recipe, learned from the first
    /// `normalizationWarmupSamples`.
    static func initial(for configuration: TrainerConfiguration) -> Normalizer {
        let architecture = configuration.architecture
        guard let recipe = configuration.normalization else {
            return Normalizer(
                inputCount: architecture.inputCount, outputCount: architecture.outputCount,
                freezeAfterSamples: configuration.normalizationWarmupSamples)
        }
        if !recipe.needsStatistics { return recipe.normalizer(outputs: nil) }
        return Normalizer(
            inputCount: architecture.inputCount, outputCount: architecture.outputCount, freezeAfterSamples: 1)
    }
}
