import Sampling

/// One simulation of the plan: its id, its role and its parameter values, a row of the plan's parameter table.
///
/// What every simulation shares (resources, retries, timeout, and the templates of its command, working directory
/// and environment) is stored once, in ``SimulationSettings``; its command line is rendered from those templates
/// and these values when it is needed (Planning's `Plan.renderedSimulation(_:)`, and the simulation scripts).
public struct SimulationJob: Sendable, Hashable {
    /// The simulation's id: `0..<training` for training, then the validation ones. It is also its job-array index.
    public var id: Int
    /// Training or validation.
    public var role: SimulationRole
    /// Its parameter values, in the order of ``Plan/parameters``.
    public var values: [ParameterValue]

    /// Creates a simulation job.
    public init(id: Int, role: SimulationRole, values: [ParameterValue]) {
        self.id = id
        self.role = role
        self.values = values
    }
}
