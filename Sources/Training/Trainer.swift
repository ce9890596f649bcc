import COpenBLAS
import Foundation
import Randomness

/// Trains an ``MLPArchitecture`` with mean squared error on normalised data, in float32 with OpenBLAS.
///
/// Every buffer a step touches is allocated once, for ``TrainerConfiguration/maxBatchSize`` samples; a step copies
/// the staged batch into normalised form, runs the forward and backward passes with `cblas_sgemm`, reduces the
/// gradient (and the loss, in one extra slot) through a ``TrainingCommunicator``, and applies one fused optimiser pass
/// over the flat parameter array.
///
/// A trainer is not thread-safe and its calls are synchronous (they run BLAS, and across ranks they block in
/// collectives): drive it from one dedicated thread, never from Swift's cooperative pool.
public final class Trainer: SurrogateTrainer {
    /// The configuration.
    public let configuration: TrainerConfiguration
    private let layers: [LayerLayout]
    private let parameterCount: Int
    private let workspace: TrainerWorkspace
    private let parameterStorage: UnsafeMutableBufferPointer<Float>
    private let firstMoment: UnsafeMutableBufferPointer<Float>
    private let secondMoment: UnsafeMutableBufferPointer<Float>
    /// Optimiser steps taken.
    public private(set) var stepCount: Int
    /// Samples trained on, all ranks together.
    public private(set) var samplesSeen: Int
    /// The input and output normalisation in use.
    public private(set) var normalizer: Normalizer
    /// Where a recipe that needs statistics (``NormalizationRecipe/needsStatistics``) takes them when the first step
    /// freezes the normalisation: statistics of the output values this rank received (the server's distinct
    /// training samples, all of the warm-up); merged over the ranks. Without it, the first batch's outputs.
    public var warmupStatistics: (() -> FeatureStatistics)?
    /// A factor on the optimiser's learning rate, set by whoever drives training (the study's schedule by progress).
    public var learningRateScale: Float = 1
    /// Whether a step keeps each sample's loss (``sampleLosses``), from the output error it computes anyway: on by
    /// default; off only to measure what it costs (`melissa-bench training`), the batch loss then summed as before.
    public var recordsSampleLosses = true
    /// Rows whose loss ``sampleLosses`` holds.
    private var sampleLossCount = 0
    private var generator: Xoshiro256StarStar
    /// Weights kept by name (``keepWeights(as:)``).
    private var keptWeights: [String: [Float]] = [:]

    /// A trainer with fresh weights drawn from the configuration's seed (each layer's weights and biases uniform in
    /// ±1/√fan_in, as PyTorch's `nn.Linear` draws them) and zero optimiser moments.
    public convenience init(configuration: TrainerConfiguration) throws {
        try configuration.validate()
        let architecture = configuration.architecture
        var generator = Xoshiro256StarStar(seed: configuration.seed)
        var parameters = [Float](repeating: 0, count: architecture.parameterCount)
        let layers = architecture.layers
        for layer in layers {
            let bound = 1 / Float(layer.inputs).squareRoot()
            for i in 0..<(layer.inputs * layer.outputs + layer.outputs) {
                let unit = Float(generator.next() >> 40) * 0x1p-24
                let weights = layer.inputs * layer.outputs
                let offset = i < weights ? layer.weightOffset + i : layer.biasOffset + i - weights
                parameters[offset] = (2 * unit - 1) * bound
            }
        }
        let count = architecture.parameterCount
        let state = TrainerState(
            configuration: configuration, parameters: parameters,
            firstMoment: [Float](repeating: 0, count: count),
            secondMoment: configuration.optimizer.method == .adam ? [Float](repeating: 0, count: count) : [],
            step: 0, samplesSeen: 0, generator: generator,
            normalizer: Normalizer.initial(for: configuration))
        try self.init(state: state)
    }

    /// A trainer that continues from a checkpointed state.
    public init(state: TrainerState) throws {
        let configuration = state.configuration
        try configuration.validate()
        let architecture = configuration.architecture
        let count = architecture.parameterCount
        let usesSecondMoment = configuration.optimizer.method == .adam
        guard state.parameters.count == count, state.firstMoment.count == count,
            state.secondMoment.count == (usesSecondMoment ? count : 0)
        else {
            throw TrainingError.inconsistentState(
                "\(state.parameters.count) parameters, \(state.firstMoment.count) and \(state.secondMoment.count) "
                    + "moments for a network of \(count) parameters")
        }
        guard state.normalizer.inputCount == architecture.inputCount,
            state.normalizer.outputCount == architecture.outputCount
        else { throw TrainingError.inconsistentState("the normalisation does not match the network's widths") }
        self.configuration = configuration
        layers = architecture.layers
        parameterCount = count
        workspace = TrainerWorkspace(architecture: architecture, maxBatch: configuration.maxBatchSize)
        parameterStorage = .allocate(capacity: max(count, 1))
        firstMoment = .allocate(capacity: max(count, 1))
        secondMoment = .allocate(capacity: max(state.secondMoment.count, 1))
        _ = parameterStorage.initialize(from: state.parameters)
        _ = firstMoment.initialize(from: state.firstMoment)
        _ = secondMoment.initialize(from: state.secondMoment)
        stepCount = state.step
        samplesSeen = state.samplesSeen
        normalizer = state.normalizer
        generator = state.generator
        refreshNormalization()
    }

    deinit {
        parameterStorage.deallocate()
        firstMoment.deallocate()
        secondMoment.deallocate()
    }

    // MARK: State

    /// Everything needed to continue training later, as plain values.
    public var state: TrainerState {
        TrainerState(
            configuration: configuration, parameters: parameters,
            firstMoment: Array(firstMoment.prefix(parameterCount)),
            secondMoment: configuration.optimizer.method == .adam ? Array(secondMoment.prefix(parameterCount)) : [],
            step: stepCount, samplesSeen: samplesSeen, generator: generator, normalizer: normalizer)
    }

    /// A copy of the flat parameter array.
    public var parameters: [Float] { Array(parameterStorage.prefix(parameterCount)) }

    /// Replaces the parameters.
    public func setParameters(_ values: [Float]) throws {
        guard values.count == parameterCount else {
            throw TrainingError.inconsistentState("\(values.count) parameters for a network of \(parameterCount)")
        }
        _ = parameterStorage.update(fromContentsOf: values)
    }

    /// Keeps a copy of the current parameters under `name`.
    public func keepWeights(as name: String) throws { keptWeights[name] = parameters }

    /// Puts back the parameters kept under `name`.
    public func useWeights(_ name: String) throws {
        guard let kept = keptWeights[name] else {
            throw TrainingError.inconsistentState("no weights kept under the name \(name)")
        }
        try setParameters(kept)
    }

    /// The plain state; the native trainer has no other.
    public func checkpointState() throws -> (state: TrainerState, backend: Data?) { (state, nil) }

    /// Writes the network with its normalisation to `url` as a melissa surrogate model file.
    public func exportModel(to url: URL, parameterNames: [String], metadata: [String: String]) throws {
        try surrogate(parameterNames: parameterNames).write(to: url, metadata: metadata)
    }

    /// Replaces the normalisation (for instance a frozen one computed beforehand).
    public func setNormalizer(_ value: Normalizer) throws {
        guard value.inputCount == configuration.architecture.inputCount,
            value.outputCount == configuration.architecture.outputCount
        else { throw TrainingError.inconsistentState("the normalisation does not match the network's widths") }
        normalizer = value
        refreshNormalization()
    }

    /// Makes every rank start from rank 0's parameters (call once, before the first step).
    public func synchronizeParameters(_ communicator: some TrainingCommunicator) throws {
        try communicator.broadcastFromRoot(UnsafeMutableBufferPointer(rebasing: parameterStorage[0..<parameterCount]))
    }

    /// The trained network with its normalisation, for prediction and export.
    public func surrogate(parameterNames: [String] = []) -> Surrogate {
        Surrogate(
            architecture: configuration.architecture, parameters: parameters, normalizer: normalizer,
            parameterNames: parameterNames)
    }

    // MARK: Batches

    /// Copies `samples` into the staging buffers; returns how many were staged.
    @discardableResult
    public func stage(_ samples: some Collection<TrainingSample>) throws -> Int {
        try stageSamples(
            samples, inputs: workspace.rawInputs.baseAddress.unsafelyUnwrapped,
            outputs: workspace.rawOutputs.baseAddress.unsafelyUnwrapped, architecture: configuration.architecture,
            maxRows: configuration.maxBatchSize)
    }

    /// Lets `body` write a batch straight into the staging buffers: row-major `maxBatchSize × inputCount` inputs and
    /// `maxBatchSize × outputCount` targets, raw (not normalised).
    public func withStagingBuffers<Result>(
        _ body: (_ inputs: UnsafeMutableBufferPointer<Float>, _ outputs: UnsafeMutableBufferPointer<Float>) throws ->
            Result
    ) rethrows -> Result {
        try body(workspace.rawInputs, workspace.rawOutputs)
    }

    // MARK: Training

    /// One optimiser step on the `count` staged samples of this rank.
    ///
    /// Collective: every rank calls it every step, with `count` 0 when it has no data. Returns nil, without
    /// updating, when no rank had data (training is over for all of them at once).
    @discardableResult
    public func step(staged count: Int, communicator: some TrainingCommunicator) throws -> StepResult? {
        guard count >= 0, count <= configuration.maxBatchSize else {
            throw TrainingError.batchTooLarge(count: count, maximum: configuration.maxBatchSize)
        }
        let total = try communicator.totalSamples(local: count)
        guard total > 0 else { return nil }
        let architecture = configuration.architecture
        if try normalizer.advance(
            recipe: configuration.normalization, warmupStatistics: warmupStatistics,
            rawInputs: workspace.rawInputs.baseAddress.unsafelyUnwrapped,
            rawOutputs: workspace.rawOutputs.baseAddress.unsafelyUnwrapped, inputCount: architecture.inputCount,
            outputCount: architecture.outputCount, rows: count, communicator: communicator)
        {
            refreshNormalization()
        }
        computeGradient(count: count, total: total)
        try communicator.sumInPlace(workspace.gradient)
        let learningRate = configuration.optimizer.learningRate(atStep: stepCount) * learningRateScale
        applyUpdate(learningRate: learningRate)
        let result = StepResult(
            loss: workspace.gradient[parameterCount], samples: total, learningRate: learningRate, step: stepCount)
        stepCount += 1
        samplesSeen += total
        return result
    }

    /// One optimiser step on `samples` in a single process.
    @discardableResult
    public func step(_ samples: some Collection<TrainingSample>) throws -> StepResult {
        let count = try stage(samples)
        guard let result = try step(staged: count, communicator: LocalCommunicator()) else {
            throw TrainingError.invalidConfiguration("a training step needs at least one sample")
        }
        return result
    }

    /// The loss of each of this rank's samples at the latest ``step(staged:communicator:)`` (or
    /// ``lossAndGradient(_:)``), in staging order, before that step's update: the sample's mean squared error over its
    /// outputs, normalised (the step's ``StepResult/loss`` is their mean over every rank's samples). Computed from the
    /// forward pass's output error, at no extra pass; empty when this rank staged nothing or ``recordsSampleLosses``
    /// is off. Kept until the next step or ``lossAndGradient(_:)`` (validations and predictions leave it).
    public var sampleLosses: [Float] {
        Array(UnsafeBufferPointer(rebasing: workspace.sampleLosses[0..<sampleLossCount]))
    }

    /// ``sampleLosses`` without a copy: `body` gets them for the duration of the call.
    public func withSampleLosses<Result>(_ body: (UnsafeBufferPointer<Float>) throws -> Result) rethrows -> Result {
        try body(UnsafeBufferPointer(rebasing: workspace.sampleLosses[0..<sampleLossCount]))
    }

    /// The loss and the gradient of the loss on `samples`, with the current normalisation, changing nothing.
    public func lossAndGradient(_ samples: some Collection<TrainingSample>) throws -> (loss: Float, gradient: [Float]) {
        let count = try stage(samples)
        computeGradient(count: count, total: max(count, 1))
        return (workspace.gradient[parameterCount], Array(workspace.gradient.prefix(parameterCount)))
    }

    /// The mean squared error (in normalised units) on `samples`, changing nothing: the validation loss.
    public func loss(_ samples: [TrainingSample]) throws -> Float {
        var sum: Double = 0
        var start = 0
        while start < samples.count {
            let end = min(start + configuration.maxBatchSize, samples.count)
            let count = try stage(samples[start..<end])
            normalizeStagedRows(count)
            forward(count)
            sum += Double(outputError(count: count, total: samples.count, writeDelta: false, perSample: false))
            start = end
        }
        return Float(sum)
    }

    /// The network's raw (de-normalised) outputs for `samples`' inputs, computed in batches: `body` gets each
    /// sample's index and its prediction (valid during the call only). Changes nothing but the staging buffers.
    public func forEachPrediction<Samples: RandomAccessCollection<TrainingSample>>(
        _ samples: Samples, _ body: (Int, UnsafeBufferPointer<Float>) throws -> Void
    ) throws {
        let width = configuration.architecture.outputCount
        var row = [Float](repeating: 0, count: width)
        var offset = 0
        var index = samples.startIndex
        while index != samples.endIndex {
            let end =
                samples.index(index, offsetBy: configuration.maxBatchSize, limitedBy: samples.endIndex)
                ?? samples.endIndex
            let count = try stage(samples[index..<end])
            normalizeStagedRows(count)
            forward(count)
            let output = workspace.preActivations[layers.count - 1].baseAddress.unsafelyUnwrapped
            for r in 0..<count {
                let values = output + r * width
                for j in 0..<width { row[j] = values[j] * normalizer.outputStd[j] + normalizer.outputMean[j] }
                try row.withUnsafeBufferPointer { try body(offset + r, $0) }
            }
            offset += count
            index = end
        }
    }

    /// The network's raw (de-normalised) output for one raw input, changing nothing but the staging buffers.
    public func predict(input: [Float]) throws -> [Float] {
        let architecture = configuration.architecture
        guard input.count == architecture.inputCount else {
            throw TrainingError.wrongParameterCount(expected: architecture.inputCount - 1, got: input.count - 1)
        }
        try stage([TrainingSample(input: input, output: [Float](repeating: 0, count: architecture.outputCount))])
        normalizeStagedRows(1)
        forward(1)
        let output = workspace.preActivations[layers.count - 1]
        return (0..<architecture.outputCount).map { output[$0] * normalizer.outputStd[$0] + normalizer.outputMean[$0] }
    }

    // MARK: Passes

    private func refreshNormalization() {
        _ = workspace.inputMean.update(fromContentsOf: normalizer.inputMean)
        _ = workspace.outputMean.update(fromContentsOf: normalizer.outputMean)
        for (j, std) in normalizer.inputStd.enumerated() { workspace.inputScale[j] = 1 / std }
        for (j, std) in normalizer.outputStd.enumerated() { workspace.outputScale[j] = 1 / std }
    }

    private func normalizeStagedRows(_ count: Int) {
        let architecture = configuration.architecture
        normalizeRows(
            workspace.rawInputs, into: workspace.inputs, mean: workspace.inputMean, scale: workspace.inputScale,
            rows: count, width: architecture.inputCount)
        normalizeRows(
            workspace.rawOutputs, into: workspace.targets, mean: workspace.outputMean, scale: workspace.outputScale,
            rows: count, width: architecture.outputCount)
    }

    private func normalizeRows(
        _ source: UnsafeMutableBufferPointer<Float>, into destination: UnsafeMutableBufferPointer<Float>,
        mean: UnsafeMutableBufferPointer<Float>, scale: UnsafeMutableBufferPointer<Float>, rows: Int, width: Int
    ) {
        Training.normalizeRows(
            source.baseAddress.unsafelyUnwrapped, into: destination.baseAddress.unsafelyUnwrapped,
            mean: mean.baseAddress.unsafelyUnwrapped, scale: scale.baseAddress.unsafelyUnwrapped, rows: rows,
            width: width)
    }

    /// Fills the gradient (and the loss slot) for `count` staged rows, scaled for a global batch of `total`.
    private func computeGradient(count: Int, total: Int) {
        guard count > 0 else {
            workspace.gradient.update(repeating: 0)
            sampleLossCount = 0
            return
        }
        normalizeStagedRows(count)
        forward(count)
        workspace.gradient[parameterCount] = outputError(
            count: count, total: total, writeDelta: true, perSample: recordsSampleLosses)
        sampleLossCount = recordsSampleLosses ? count : 0
        backward(count)
    }

    private func forward(_ count: Int) {
        let parameters = parameterStorage.baseAddress.unsafelyUnwrapped
        var input = UnsafePointer(workspace.inputs.baseAddress.unsafelyUnwrapped)
        let activation = configuration.architecture.activation
        for (index, layer) in layers.enumerated() {
            let z = workspace.preActivations[index].baseAddress.unsafelyUnwrapped
            let bias = parameters + layer.biasOffset
            for row in 0..<count { (z + row * layer.outputs).update(from: bias, count: layer.outputs) }
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasTrans, Int32(count), Int32(layer.outputs), Int32(layer.inputs), 1,
                input, Int32(layer.inputs), parameters + layer.weightOffset, Int32(layer.inputs), 1, z,
                Int32(layer.outputs))
            if index < layers.count - 1 {
                let a = workspace.activations[index].baseAddress.unsafelyUnwrapped
                activation.apply(z, to: a, count: count * layer.outputs)
                input = UnsafePointer(a)
            }
        }
    }

    /// The batch's share of the global mean squared error, and (if asked) its gradient with respect to the output
    /// into the delta buffer: `2 (ŷ − y) / (total · outputs)`. With `perSample`, row by row, each row's mean squared
    /// error going to the sample losses on the way (the same pass over the same values).
    private func outputError(count: Int, total: Int, writeDelta: Bool, perSample: Bool) -> Float {
        let width = configuration.architecture.outputCount
        let output = workspace.preActivations[layers.count - 1].baseAddress.unsafelyUnwrapped
        let target = workspace.targets.baseAddress.unsafelyUnwrapped
        let delta = workspace.delta.baseAddress.unsafelyUnwrapped
        let scale = 2 / (Float(total) * Float(width))
        guard perSample else {
            let sum = squaredError(output, target, delta, count: count * width, scale: scale, writeDelta: writeDelta)
            return sum / (Float(total) * Float(width))
        }
        let losses = workspace.sampleLosses.baseAddress.unsafelyUnwrapped
        var sum: Float = 0
        for row in 0..<count {
            let offset = row * width
            let rowSum = squaredError(
                output + offset, target + offset, delta + offset, count: width, scale: scale, writeDelta: writeDelta)
            losses[row] = rowSum / Float(width)
            sum += rowSum
        }
        return sum / (Float(total) * Float(width))
    }

    /// Σ (ŷ − y)² over `n` values, writing `(ŷ − y) · scale` to `delta` when asked.
    @inline(__always)
    private func squaredError(
        _ output: UnsafeMutablePointer<Float>, _ target: UnsafeMutablePointer<Float>,
        _ delta: UnsafeMutablePointer<Float>, count n: Int, scale: Float, writeDelta: Bool
    ) -> Float {
        typealias Lane = SIMD16<Float>
        var sums = Lane()
        var i = 0
        while i + Lane.scalarCount <= n {
            let d =
                UnsafeRawPointer(output + i).loadUnaligned(as: Lane.self)
                - UnsafeRawPointer(target + i).loadUnaligned(as: Lane.self)
            sums += d * d
            if writeDelta { UnsafeMutableRawPointer(delta + i).storeBytes(of: d * scale, as: Lane.self) }
            i += Lane.scalarCount
        }
        var sum = sums.sum()
        while i < n {
            let d = output[i] - target[i]
            sum += d * d
            if writeDelta { delta[i] = d * scale }
            i += 1
        }
        return sum
    }

    private func backward(_ count: Int) {
        let parameters = parameterStorage.baseAddress.unsafelyUnwrapped
        let gradient = workspace.gradient.baseAddress.unsafelyUnwrapped
        let ones = workspace.ones.baseAddress.unsafelyUnwrapped
        let activation = configuration.architecture.activation
        var delta = workspace.delta.baseAddress.unsafelyUnwrapped
        var upstream = workspace.upstream.baseAddress.unsafelyUnwrapped
        for index in layers.indices.reversed() {
            let layer = layers[index]
            let input =
                index == 0
                ? workspace.inputs.baseAddress.unsafelyUnwrapped
                : workspace.activations[index - 1].baseAddress.unsafelyUnwrapped
            // dW = δᵀ · input  (outputs × inputs)
            cblas_sgemm(
                CblasRowMajor, CblasTrans, CblasNoTrans, Int32(layer.outputs), Int32(layer.inputs), Int32(count), 1,
                delta, Int32(layer.outputs), input, Int32(layer.inputs), 0, gradient + layer.weightOffset,
                Int32(layer.inputs))
            // db = δᵀ · 1
            cblas_sgemv(
                CblasRowMajor, CblasTrans, Int32(count), Int32(layer.outputs), 1, delta, Int32(layer.outputs), ones, 1,
                0, gradient + layer.biasOffset, 1)
            guard index > 0 else { break }
            // upstream = δ · W  (count × inputs), then through the previous layer's activation
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(count), Int32(layer.inputs), Int32(layer.outputs), 1,
                delta, Int32(layer.outputs), parameters + layer.weightOffset, Int32(layer.inputs), 0, upstream,
                Int32(layer.inputs))
            activation.backpropagate(
                upstream, z: workspace.preActivations[index - 1].baseAddress.unsafelyUnwrapped,
                a: workspace.activations[index - 1].baseAddress.unsafelyUnwrapped, count: count * layer.inputs)
            swap(&delta, &upstream)
        }
    }

    private func applyUpdate(learningRate: Float) {
        let optimizer = configuration.optimizer
        let p = parameterStorage.baseAddress.unsafelyUnwrapped
        let g = workspace.gradient.baseAddress.unsafelyUnwrapped
        switch optimizer.method {
        case .adam:
            OptimizerKernels.adam(
                parameters: p, gradients: g, firstMoment: firstMoment.baseAddress.unsafelyUnwrapped,
                secondMoment: secondMoment.baseAddress.unsafelyUnwrapped, count: parameterCount,
                learningRate: learningRate, weightDecay: optimizer.weightDecay, beta1: optimizer.beta1,
                beta2: optimizer.beta2, epsilon: optimizer.epsilon, step: stepCount)
        case .sgd:
            OptimizerKernels.sgd(
                parameters: p, gradients: g, momentumBuffer: firstMoment.baseAddress.unsafelyUnwrapped,
                count: parameterCount, learningRate: learningRate, weightDecay: optimizer.weightDecay,
                momentum: optimizer.momentum)
        }
    }
}
