/// Errors of the trainer and of the surrogate model files.
public enum TrainingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A configuration that cannot be trained (the reason says what to change).
    case invalidConfiguration(String)
    /// A batch larger than the trainer was sized for.
    case batchTooLarge(count: Int, maximum: Int)
    /// A sample whose input or output width does not match the network.
    case sampleShape(expectedInputs: Int, expectedOutputs: Int, inputs: Int, outputs: Int)
    /// A checkpointed state that does not fit its configuration.
    case inconsistentState(String)
    /// A model file that cannot be read (the reason says what is wrong).
    case malformedModelFile(path: String, reason: String)
    /// A prediction asked with the wrong number of parameters.
    case wrongParameterCount(expected: Int, got: Int)
    /// The PyTorch trainer (or predictor) process failed: the message says how, with its Python error.
    case backend(String)

    /// A message for a person.
    public var description: String {
        switch self {
        case .invalidConfiguration(let reason): return "invalid training configuration: \(reason)"
        case .batchTooLarge(let count, let maximum):
            return "a batch of \(count) samples exceeds the trainer's maximum batch size \(maximum)"
        case .sampleShape(let expectedInputs, let expectedOutputs, let inputs, let outputs):
            return "a sample has \(inputs) inputs and \(outputs) outputs; the network takes \(expectedInputs) "
                + "and produces \(expectedOutputs)"
        case .inconsistentState(let reason): return "inconsistent trainer state: \(reason)"
        case .malformedModelFile(let path, let reason): return "\(path): not a melissa surrogate model: \(reason)"
        case .wrongParameterCount(let expected, let got):
            return "the model takes \(expected) parameters, got \(got)"
        case .backend(let message): return message
        }
    }
}
