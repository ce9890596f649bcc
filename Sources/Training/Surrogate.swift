/// A trained network with its normalisation: evaluates the surrogate in pure Swift (no BLAS), one prediction at a
/// time.
///
/// Read and written in the melissa surrogate format (``SurrogateFile``, docs/training.md).
public struct Surrogate: Sendable, Hashable {
    /// The network's shape.
    public var architecture: MLPArchitecture
    /// The flat parameter array (layer after layer: row-major `outputs × inputs` weights, then biases).
    public var parameters: [Float]
    /// Mean of each input (parameters, then time step).
    public var inputMean: [Float]
    /// Standard deviation of each input.
    public var inputStd: [Float]
    /// Mean of each output.
    public var outputMean: [Float]
    /// Standard deviation of each output.
    public var outputStd: [Float]
    /// The study's parameter names, in input order (may be empty).
    public var parameterNames: [String]

    /// A surrogate from its parts.
    public init(
        architecture: MLPArchitecture, parameters: [Float], inputMean: [Float], inputStd: [Float],
        outputMean: [Float], outputStd: [Float], parameterNames: [String] = []
    ) {
        self.architecture = architecture
        self.parameters = parameters
        self.inputMean = inputMean
        self.inputStd = inputStd
        self.outputMean = outputMean
        self.outputStd = outputStd
        self.parameterNames = parameterNames
    }

    /// A surrogate from a network and the normalisation it was trained with.
    public init(architecture: MLPArchitecture, parameters: [Float], normalizer: Normalizer, parameterNames: [String]) {
        self.init(
            architecture: architecture, parameters: parameters, inputMean: normalizer.inputMean,
            inputStd: normalizer.inputStd, outputMean: normalizer.outputMean, outputStd: normalizer.outputStd,
            parameterNames: parameterNames)
    }

    /// Throws unless every array has the size the architecture implies.
    public func validate() throws {
        let a = architecture
        try a.validate()
        let sizes = [
            ("parameters", parameters.count, a.parameterCount), ("input mean", inputMean.count, a.inputCount),
            ("input std", inputStd.count, a.inputCount), ("output mean", outputMean.count, a.outputCount),
            ("output std", outputStd.count, a.outputCount),
        ]
        for (name, count, expected) in sizes where count != expected {
            throw TrainingError.inconsistentState("\(name): \(count) values, the architecture needs \(expected)")
        }
        if !parameterNames.isEmpty, parameterNames.count != a.inputCount - 1 {
            throw TrainingError.inconsistentState(
                "\(parameterNames.count) parameter names for \(a.inputCount - 1) parameters")
        }
    }

    /// The field predicted for the study `parameters` at time step `timeStep`.
    public func predict(parameters values: [Float], timeStep: Float) throws -> [Float] {
        try predict(input: values + [timeStep])
    }

    /// The field predicted for a raw input (parameters, then time step).
    public func predict(input: [Float]) throws -> [Float] {
        guard input.count == architecture.inputCount else {
            throw TrainingError.wrongParameterCount(expected: architecture.inputCount - 1, got: input.count - 1)
        }
        var activations = (0..<input.count).map { (input[$0] - inputMean[$0]) / inputStd[$0] }
        let layers = architecture.layers
        for (index, layer) in layers.enumerated() {
            var next = [Float](repeating: 0, count: layer.outputs)
            for o in 0..<layer.outputs {
                let row = layer.weightOffset + o * layer.inputs
                var sum = parameters[layer.biasOffset + o]
                for i in 0..<layer.inputs { sum += parameters[row + i] * activations[i] }
                next[o] = sum
            }
            if index < layers.count - 1 {
                for o in 0..<layer.outputs { next[o] = architecture.activation.evaluate(next[o]) }
            }
            activations = next
        }
        return (0..<activations.count).map { activations[$0] * outputStd[$0] + outputMean[$0] }
    }
}
