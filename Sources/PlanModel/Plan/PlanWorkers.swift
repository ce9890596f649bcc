import StudySpec

/// The worker jobs of a study with `execution.workers` (docs/launching.md, "Workers"): each runs `command` through
/// its `script` and runs simulations one after another (each through `scripts.simulations`, as the local scheduler
/// runs one) for as long as the launcher has work for it.
public struct PlanWorkers: Sendable, Hashable, Codable {
    /// Worker jobs at most: the window's maximum (`concurrency.max`).
    public var count: Int
    /// Each worker job's walltime (its other resources are a simulation's).
    public var walltime: Walltime
    /// The workers' job name, `<study>-worker`.
    public var jobName: String
    /// The worker's script, relative to the study directory: `scripts/worker.sh` (local) or `scripts/worker.sbatch`
    /// (Slurm); its one argument is the worker's number.
    public var script: String
    /// What the script runs: `melissa worker <study dir>`.
    public var command: [String]

    /// Creates the workers' part of a plan.
    public init(count: Int, walltime: Walltime, jobName: String, script: String, command: [String]) {
        self.count = count
        self.walltime = walltime
        self.jobName = jobName
        self.script = script
        self.command = command
    }
}
