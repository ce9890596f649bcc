/// Where the plan's scripts go, relative to the study directory.
public struct PlanScripts: Sendable, Hashable, Codable {
    /// The server's script.
    public var server: String
    /// The script that runs any simulation: the job array (slurm, `packing: array`), or the local script that
    /// takes a simulation id; nil with `packing: jobs` (each simulation has its own, ``SimulationJob/script``).
    public var simulations: String?
    /// The values file: line `id + 1` is simulation `id`'s id and parameter values as quoted shell words, from which
    /// the simulation scripts run the study's command template (rendered once, in the script).
    public var values: String
    /// How the job array script covers the simulations (slurm, `packing: array`): one submission per chunk, with
    /// `--array=0-<count - 1>` and `MELISSA_ARRAY_OFFSET=<first>` in its environment; empty otherwise.
    public var arrays: [ArrayChunk]

    /// Creates the paths.
    public init(server: String, simulations: String?, values: String, arrays: [ArrayChunk] = []) {
        self.server = server
        self.simulations = simulations
        self.values = values
        self.arrays = arrays
    }

    /// The simulation ids `0..<count` cut into chunks of at most `size` (a cluster's `MaxArraySize`).
    public static func chunks(count: Int, size: Int) -> [ArrayChunk] {
        stride(from: 0, to: count, by: max(1, size)).map { ArrayChunk(first: $0, count: min(size, count - $0)) }
    }
}
