/// One training example: the network's input (the study parameters, then the time step) and the field it should
/// produce.
public struct TrainingSample: Sendable, Hashable, Codable {
    /// Parameters then time step.
    public var input: [Float]
    /// The field values.
    public var output: [Float]

    /// Creates a sample.
    public init(input: [Float], output: [Float]) {
        self.input = input
        self.output = output
    }

    /// A sample from a simulation's parameters, a time step and its field.
    public init(parameters: [Float], timeStep: Float, field: [Float]) {
        self.init(input: parameters + [timeStep], output: field)
    }
}
