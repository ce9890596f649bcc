/// One training example: the network's input (the study parameters, then the time step) and the field it should
/// produce, and, when known, where it came from.
public struct TrainingSample: Sendable, Hashable, Codable {
    /// Parameters then time step.
    public var input: [Float]
    /// The field values (float32 in storage of their own, shared by copies: the ingest's sample, never copied).
    public var output: FloatValues
    /// The simulation, time step and parameter set the sample came from (nil when unknown: a synthetic sample, or one
    /// restored from a checkpoint older than the per-simulation scores).
    public var origin: SampleOrigin?

    /// Creates a sample.
    public init(input: [Float], output: FloatValues, origin: SampleOrigin? = nil) {
        self.input = input
        self.output = output
        self.origin = origin
    }

    /// Creates a sample, its output a copy of `output`.
    public init(input: [Float], output: [Float], origin: SampleOrigin? = nil) {
        self.init(input: input, output: FloatValues(output), origin: origin)
    }

    /// A sample from a simulation's parameters, a time step and its field.
    public init(parameters: [Float], timeStep: Float, field: FloatValues, origin: SampleOrigin? = nil) {
        self.init(input: parameters + [timeStep], output: field, origin: origin)
    }

    /// A sample from a simulation's parameters, a time step and a copy of its field.
    public init(parameters: [Float], timeStep: Float, field: [Float], origin: SampleOrigin? = nil) {
        self.init(input: parameters + [timeStep], output: FloatValues(field), origin: origin)
    }
}

/// Where a training sample came from: what its per-sample training loss is attributed to (``SimulationLossTable``).
public struct SampleOrigin: Sendable, Hashable, Codable {
    /// The simulation id.
    public var simulationID: UInt32
    /// The time step (0-based).
    public var timeStep: UInt32
    /// The parameter set the simulation's attempt ran with (0: the plan's values; k: its k-th redraw).
    public var parameterSet: UInt32

    /// An origin.
    public init(simulationID: UInt32, timeStep: UInt32, parameterSet: UInt32 = 0) {
        self.simulationID = simulationID
        self.timeStep = timeStep
        self.parameterSet = parameterSet
    }
}
