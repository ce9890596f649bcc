import Training

/// One complete time step of one simulation: every field, every element, as float32.
public struct Sample: Sendable, Equatable {
    /// The simulation id.
    public var simulationID: UInt32
    /// The time step (0-based).
    public var timeStep: UInt32
    /// The values of every field, concatenated in the registered field order: assembled in place, or the received
    /// ZeroMQ message itself when one message held the whole time step.
    public var values: FloatValues
    /// The attempt whose data made the sample.
    public var attempt: UInt32
    /// The parameter set that attempt ran with (0: the plan's values; k: the simulation's k-th redraw).
    public var parameterSet: Int

    /// A sample.
    public init(
        simulationID: UInt32, timeStep: UInt32, values: FloatValues, attempt: UInt32 = 0, parameterSet: Int = 0
    ) {
        self.simulationID = simulationID
        self.timeStep = timeStep
        self.values = values
        self.attempt = attempt
        self.parameterSet = parameterSet
    }

    /// A sample holding a copy of `values`.
    public init(simulationID: UInt32, timeStep: UInt32, values: [Float], attempt: UInt32 = 0, parameterSet: Int = 0) {
        self.init(
            simulationID: simulationID, timeStep: timeStep, values: FloatValues(values), attempt: attempt,
            parameterSet: parameterSet)
    }
}
