import Sampling

/// One simulation of the plan: its parameter values and how it is started.
///
/// What every simulation shares (resources, retries, timeout) is stored once, in ``SimulationSettings``.
public struct SimulationJob: Sendable, Hashable {
    /// The simulation's id: `0..<training` for training, then the validation ones. It is also its job-array index.
    public var id: Int
    /// Training or validation.
    public var role: SimulationRole
    /// Its parameter values, in the order of ``Plan/parameters``.
    public var values: [ParameterValue]
    /// The command line with every placeholder replaced by one quoted shell word (without the MPI launcher).
    public var command: String
    /// The directory it runs in, absolute, as one quoted shell word.
    public var workingDirectory: String
    /// The study's environment variables with their values rendered and quoted, in file order.
    public var environment: [RenderedVariable]
    /// Its own batch script, relative to the study directory (`packing: jobs` only; otherwise the shared
    /// ``PlanScripts/simulations`` script runs it).
    public var script: String?

    /// Creates a simulation job.
    public init(
        id: Int,
        role: SimulationRole,
        values: [ParameterValue],
        command: String,
        workingDirectory: String,
        environment: [RenderedVariable] = [],
        script: String? = nil
    ) {
        self.id = id
        self.role = role
        self.values = values
        self.command = command
        self.workingDirectory = workingDirectory
        self.environment = environment
        self.script = script
    }
}
