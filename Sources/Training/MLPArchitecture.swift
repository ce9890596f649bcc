/// The shape of a multilayer perceptron: inputs, hidden layers, outputs, and the hidden activation.
///
/// The output layer is linear. All parameters live in one flat float32 array, layer after layer, each layer's
/// weights (row-major `outputs × inputs`) before its biases (see ``LayerLayout``).
public struct MLPArchitecture: Sendable, Hashable, Codable {
    /// Input width: the study's parameters plus one for the time step.
    public var inputCount: Int
    /// Widths of the hidden layers.
    public var hidden: [Int]
    /// Output width: the field values of one time step.
    public var outputCount: Int
    /// The activation after every hidden layer.
    public var activation: Activation

    /// Creates an architecture.
    public init(inputCount: Int, hidden: [Int], outputCount: Int, activation: Activation) {
        self.inputCount = inputCount
        self.hidden = hidden
        self.outputCount = outputCount
        self.activation = activation
    }

    /// All layer widths, from the input to the output.
    public var widths: [Int] { [inputCount] + hidden + [outputCount] }

    /// The widest layer (input included).
    public var maximumWidth: Int { widths.max() ?? 0 }

    /// Each dense layer's place in the flat parameter array.
    public var layers: [LayerLayout] {
        var result: [LayerLayout] = []
        var offset = 0
        let widths = self.widths
        for index in 1..<widths.count {
            let layer = LayerLayout(
                inputs: widths[index - 1], outputs: widths[index], weightOffset: offset,
                biasOffset: offset + widths[index - 1] * widths[index])
            result.append(layer)
            offset += layer.parameterCount
        }
        return result
    }

    /// The number of parameters (weights and biases).
    public var parameterCount: Int { layers.reduce(0) { $0 + $1.parameterCount } }

    /// Multiply-adds per sample of one forward pass.
    public var forwardMultiplyAdds: Int { layers.reduce(0) { $0 + $1.inputs * $1.outputs } }

    /// Throws when a width is not positive.
    public func validate() throws {
        for width in widths where width <= 0 {
            throw TrainingError.invalidConfiguration("every layer width must be positive, got \(widths)")
        }
    }
}
