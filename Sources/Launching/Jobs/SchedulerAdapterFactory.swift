import PlanModel
import Planning
import StudySpec

/// Maps a plan's scheduler to its adapter: the one place that knows which adapters exist.
public enum SchedulerAdapterFactory {
    /// The adapter that runs `plan` (`execution.scheduler`).
    ///
    /// - Parameters:
    ///   - options: the launcher's options (Slurm's adapter options; the local grace period).
    ///   - firstJobNumber: the first job number a local adapter hands out (one past the journal's highest, so that
    ///     a resumed launch never reuses an id).
    public static func adapter(
        for plan: Plan, options: LauncherOptions, firstJobNumber: Int
    ) -> any SchedulerAdapter {
        adapter(
            for: plan.scheduler, options: options,
            local: LocalAdapterOptions(
                // The server runs beside the window's simulations.
                concurrency: ElasticityPolicy(plan: plan).maximum + 1, gracePeriod: options.gracePeriod,
                firstJobNumber: firstJobNumber, outputDirectory: plan.logsDirectory))
    }

    /// The adapter of `scheduler`, with Slurm's options from `options` and, for the local one, `local`.
    public static func adapter(
        for scheduler: ExecutionSpec.Scheduler, options: LauncherOptions,
        local: LocalAdapterOptions = LocalAdapterOptions()
    ) -> any SchedulerAdapter {
        switch scheduler {
        case .local: LocalAdapter(options: local)
        case .slurm: SlurmAdapter(options: options.slurm)
        }
    }
}
