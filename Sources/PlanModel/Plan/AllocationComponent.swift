import StudySpec

/// One component of a study's allocation (the only one, for a plain allocation): what its `#SBATCH` lines ask.
public struct AllocationComponent: Sendable, Hashable, Codable {
    /// What runs in it.
    public enum Holds: String, Sendable, Hashable, Codable, CaseIterable {
        /// The training server (its steps) and the launcher (the batch script).
        case server
        /// The simulations' steps.
        case simulations
    }

    /// What runs in it.
    public var holds: [Holds]
    /// Nodes at least (`--nodes=<min>[-<max>]`).
    public var minimumNodes: Int
    /// Nodes at most.
    public var maximumNodes: Int
    /// Tasks (`--ntasks`).
    public var tasks: Int
    /// CPUs per task.
    public var cpusPerTask: Int
    /// Memory per CPU in MiB (`--mem-per-cpu`), when the study gives memory (`--mem` would carry over to the next
    /// component of a heterogeneous job).
    public var memoryPerCpuMib: Int?
    /// GPUs per node.
    public var gpus: Int
    /// Its Slurm options (partition, account, qos, constraint, reservation, gres, directives).
    public var slurm: SlurmJobOptions

    /// Creates a component.
    public init(
        holds: [Holds], minimumNodes: Int, maximumNodes: Int, tasks: Int, cpusPerTask: Int, memoryPerCpuMib: Int?,
        gpus: Int, slurm: SlurmJobOptions
    ) {
        self.holds = holds
        self.minimumNodes = minimumNodes
        self.maximumNodes = maximumNodes
        self.tasks = tasks
        self.cpusPerTask = cpusPerTask
        self.memoryPerCpuMib = memoryPerCpuMib
        self.gpus = gpus
        self.slurm = slurm
    }

    /// Memory per CPU in MiB of a job of `resources` (its memory is per node): its share of a node's memory, for
    /// each CPU of the tasks a node runs (`tasks / nodes`, rounded up), rounded up; nil when it sets no memory.
    public static func memoryPerCpu(of resources: Resources) -> Int? {
        guard let memory = resources.memoryMiB else { return nil }
        let tasksPerNode = (resources.tasks + resources.nodes - 1) / max(1, resources.nodes)
        let cpus = max(1, tasksPerNode * resources.cpusPerTask)
        return (memory + cpus - 1) / cpus
    }
}
