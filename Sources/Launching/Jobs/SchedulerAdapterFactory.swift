import Foundation
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
        // The server runs beside the window's simulations.
        let local = LocalAdapterOptions(
            concurrency: ElasticityPolicy(plan: plan).maximum + 1, gracePeriod: options.stopGrace(for: plan),
            firstJobNumber: firstJobNumber, outputDirectory: plan.logsDirectory)
        // One allocation for the whole study: its jobs are steps of the allocation the launcher runs in.
        if plan.allocation != nil, let allocation = SlurmAllocation(environment: ProcessInfo.processInfo.environment) {
            return SrunStepAdapter(
                allocation: allocation,
                options: SrunStepAdapterOptions(
                    local: local, commandTimeout: options.slurm.commandTimeout, environment: options.slurm.environment))
        }
        return adapter(
            for: plan.scheduler, options: options, local: local)
    }

    /// Why `plan` cannot be launched in `environment`: a study planned for one allocation (`allocation: single`)
    /// outside a Slurm job, or in one without the heterogeneous components its plan cuts; nil when it can.
    public static func allocationProblem(of plan: Plan, environment: [String: String]) -> String? {
        guard let planned = plan.allocation else { return nil }
        guard let allocation = SlurmAllocation(environment: environment) else {
            return "melissa launch runs outside a Slurm job (no SLURM_JOB_ID)"
        }
        if planned.layout == .heterogeneous, allocation.componentIDs.count < planned.components.count {
            return "job \(allocation.jobID) is not the heterogeneous job of its plan (\(planned.components.count) "
                + "components, SLURM_HET_SIZE says \(allocation.componentIDs.count))"
        }
        return nil
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
