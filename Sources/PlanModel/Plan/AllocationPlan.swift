import StudySpec

/// One Slurm allocation for the whole study (`execution.slurm.allocation: single`): its batch script, in which
/// `melissa launch` runs the server and every simulation as `srun` steps, and how it is cut.
///
/// Sizes come from the study (docs/plan-format.md, "One allocation"): the server's component holds `training.ranks`
/// tasks with the server's resources; the simulations' holds `concurrency.max` simulations at once
/// (`concurrency.max × simulation.resources.tasks` tasks); a plain allocation holds both. Its walltime is the
/// server's (`execution.server.walltime`), the study's length.
public struct AllocationPlan: Sendable, Hashable, Codable {
    /// How the allocation is cut.
    public enum Layout: String, Sendable, Hashable, Codable, CaseIterable {
        /// A heterogeneous job: component 0 for the server (and the launcher), component 1 for the simulations.
        case heterogeneous
        /// One plain allocation that holds the server's tasks and the simulations'.
        case plain
    }

    /// How it is cut.
    public var layout: Layout
    /// Why: the rule of `allocation_layout: auto`, or the study's choice.
    public var reason: String
    /// The job's name, `<study>-allocation`.
    public var jobName: String
    /// Its batch script, relative to the study directory: `scripts/<study>-allocation.sbatch`.
    public var script: String
    /// What the batch script runs, as separate words: `<melissa> launch <study dir> --resume` (a first allocation
    /// starts the study, a later one resumes it).
    public var launcherCommand: [String]
    /// The allocation's walltime.
    public var walltime: Walltime
    /// Its components: the server's then the simulations' (heterogeneous), or the only one (plain).
    public var components: [AllocationComponent]

    /// Creates the allocation.
    public init(
        layout: Layout, reason: String, jobName: String, script: String, launcherCommand: [String],
        walltime: Walltime, components: [AllocationComponent]
    ) {
        self.layout = layout
        self.reason = reason
        self.jobName = jobName
        self.script = script
        self.launcherCommand = launcherCommand
        self.walltime = walltime
        self.components = components
    }

    /// The heterogeneous component the server's steps run in (`srun --het-group`); nil in a plain allocation.
    public var serverGroup: Int? { layout == .heterogeneous ? 0 : nil }

    /// The heterogeneous component the simulations' steps run in; nil in a plain allocation.
    public var simulationGroup: Int? { layout == .heterogeneous ? 1 : nil }
}
