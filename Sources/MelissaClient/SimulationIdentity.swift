import WireProtocol

/// Who is streaming: the simulation, its attempt, its ranks, what it sends.
public struct SimulationIdentity: Sendable, Equatable {
    /// The simulation id (from the plan; `MELISSA_SIMULATION_ID` in a job).
    public var simulationID: UInt32
    /// 0 for the first run, then the launcher's restart count.
    public var attempt: UInt32
    /// MPI ranks of the simulation.
    public var ranks: UInt32
    /// Time steps it will send.
    public var timeSteps: UInt32
    /// Its fields, in order, with their global sizes.
    public var fields: [FieldDeclaration]

    /// An identity.
    public init(
        simulationID: UInt32, attempt: UInt32 = 0, ranks: UInt32 = 1, timeSteps: UInt32, fields: [FieldDeclaration]
    ) {
        self.simulationID = simulationID
        self.attempt = attempt
        self.ranks = ranks
        self.timeSteps = timeSteps
        self.fields = fields
    }
}
