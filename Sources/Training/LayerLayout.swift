/// Where one dense layer's weights and biases sit in the flat parameter array.
///
/// The weights are an `outputs × inputs` row-major matrix (PyTorch's `nn.Linear.weight`), followed by `outputs` biases.
public struct LayerLayout: Sendable, Hashable, Codable {
    /// Width of the layer's input.
    public var inputs: Int
    /// Width of the layer's output.
    public var outputs: Int
    /// Offset of the first weight in the flat parameter array.
    public var weightOffset: Int
    /// Offset of the first bias in the flat parameter array.
    public var biasOffset: Int

    /// Weights plus biases.
    public var parameterCount: Int { outputs * inputs + outputs }
}
