/// The trainer's preallocated buffers, sized once for the largest batch so a step allocates nothing.
final class TrainerWorkspace {
    /// Raw inputs of the batch as staged by the caller (`maxBatch × inputs`).
    let rawInputs: UnsafeMutableBufferPointer<Float>
    /// Raw targets of the batch (`maxBatch × outputs`).
    let rawOutputs: UnsafeMutableBufferPointer<Float>
    /// Normalised inputs (`maxBatch × inputs`).
    let inputs: UnsafeMutableBufferPointer<Float>
    /// Normalised targets (`maxBatch × outputs`).
    let targets: UnsafeMutableBufferPointer<Float>
    /// Pre-activations of each layer (`maxBatch × width`); the last one is the network's output.
    let preActivations: [UnsafeMutableBufferPointer<Float>]
    /// Activations of each hidden layer (`maxBatch × width`).
    let activations: [UnsafeMutableBufferPointer<Float>]
    /// Gradient with respect to the current layer's pre-activations (`maxBatch × maximum width`).
    let delta: UnsafeMutableBufferPointer<Float>
    /// Gradient with respect to the previous layer's activations (`maxBatch × maximum width`).
    let upstream: UnsafeMutableBufferPointer<Float>
    /// A column of ones (`maxBatch`), for the bias gradients as one matrix-vector product.
    let ones: UnsafeMutableBufferPointer<Float>
    /// Each staged row's loss at the latest forward pass: its mean squared (normalised) error over the outputs
    /// (`maxBatch`).
    let sampleLosses: UnsafeMutableBufferPointer<Float>
    /// The parameters' gradient, plus one slot for the batch loss so both are reduced across ranks in one call.
    let gradient: UnsafeMutableBufferPointer<Float>
    /// Input shift and scale (`−mean`, `1/std`), and output mean and `1/std`.
    let inputMean: UnsafeMutableBufferPointer<Float>
    let inputScale: UnsafeMutableBufferPointer<Float>
    let outputMean: UnsafeMutableBufferPointer<Float>
    let outputScale: UnsafeMutableBufferPointer<Float>

    init(architecture: MLPArchitecture, maxBatch: Int) {
        func buffer(_ count: Int, _ value: Float = 0) -> UnsafeMutableBufferPointer<Float> {
            let result = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(count, 1))
            result.initialize(repeating: value)
            return result
        }
        let inputCount = architecture.inputCount
        let outputCount = architecture.outputCount
        rawInputs = buffer(maxBatch * inputCount)
        rawOutputs = buffer(maxBatch * outputCount)
        inputs = buffer(maxBatch * inputCount)
        targets = buffer(maxBatch * outputCount)
        preActivations = architecture.layers.map { buffer(maxBatch * $0.outputs) }
        activations = architecture.hidden.map { buffer(maxBatch * $0) }
        delta = buffer(maxBatch * architecture.maximumWidth)
        upstream = buffer(maxBatch * architecture.maximumWidth)
        ones = buffer(maxBatch, 1)
        sampleLosses = buffer(maxBatch)
        gradient = buffer(architecture.parameterCount + 1)
        inputMean = buffer(inputCount)
        inputScale = buffer(inputCount, 1)
        outputMean = buffer(outputCount)
        outputScale = buffer(outputCount, 1)
    }

    deinit {
        let all =
            [rawInputs, rawOutputs, inputs, targets, delta, upstream, ones, sampleLosses, gradient, inputMean]
            + [inputScale, outputMean, outputScale] + preActivations + activations
        for buffer in all { buffer.deallocate() }
    }
}
