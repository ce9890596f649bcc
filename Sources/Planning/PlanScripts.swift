/// Where the plan's scripts go, relative to the study directory.
public struct PlanScripts: Sendable, Hashable, Codable {
    /// The server's script.
    public var server: String
    /// The script that runs any simulation: the job array (slurm, `packing: array`), or the local script that
    /// takes a simulation id; nil with `packing: jobs` (each simulation has its own, ``SimulationJob/script``).
    public var simulations: String?
    /// The command file: line `id + 1` is the shell fragment that runs simulation `id`.
    public var commands: String

    /// Creates the paths.
    public init(server: String, simulations: String?, commands: String) {
        self.server = server
        self.simulations = simulations
        self.commands = commands
    }
}
