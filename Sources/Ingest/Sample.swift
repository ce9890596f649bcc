/// One complete time step of one simulation: every field, every element, as float32.
public struct Sample: Sendable, Equatable {
    /// The simulation id.
    public var simulationID: UInt32
    /// The time step (0-based).
    public var timeStep: UInt32
    /// The values of every field, concatenated in the registered field order.
    public var values: [Float]

    /// A sample.
    public init(simulationID: UInt32, timeStep: UInt32, values: [Float]) {
        self.simulationID = simulationID
        self.timeStep = timeStep
        self.values = values
    }
}
