import PlanModel

/// How a ``Launcher`` runs a study.
public struct LauncherOptions: Sendable {
    /// Continue a study whose launcher stopped (adopt its live jobs); without it, a study that already has a
    /// journal is refused.
    public var resume: Bool
    /// Seconds between two polls of the scheduler (one query each).
    public var pollInterval: Double
    /// Seconds between two pings of the server (T); the server is dead after 2T without a status.
    public var heartbeatInterval: Double
    /// Seconds the server may take from its submission until `server.address` appears.
    public var serverStartTimeout: Double
    /// Restarts of a dead server (from its checkpoint) before the launch fails.
    public var serverRestarts: Int
    /// Resubmissions per simulation that do not spend its retry budget (node failures, lost jobs, server
    /// restarts) before they start spending it.
    public var freeRetries: Int
    /// The most memory (MiB per node) a simulation is given after running out of memory.
    public var memoryCapMiB: Int
    /// Seconds between SIGTERM and SIGKILL when a local job is stopped.
    public var gracePeriod: Double
    /// How the Slurm adapter runs (scheduler `slurm`).
    public var slurm: SlurmAdapterOptions
    /// Consecutive failed scheduler queries after which the launch fails.
    public var queryFailureLimit: Int

    /// Creates options.
    public init(
        resume: Bool = false, pollInterval: Double = 2, heartbeatInterval: Double = 5,
        serverStartTimeout: Double = 600, serverRestarts: Int = 3, freeRetries: Int = 10,
        memoryCapMiB: Int = 256 * 1024, gracePeriod: Double = 10, slurm: SlurmAdapterOptions = SlurmAdapterOptions(),
        queryFailureLimit: Int = 10
    ) {
        self.resume = resume
        self.pollInterval = pollInterval
        self.heartbeatInterval = heartbeatInterval
        self.serverStartTimeout = serverStartTimeout
        self.serverRestarts = serverRestarts
        self.freeRetries = freeRetries
        self.memoryCapMiB = memoryCapMiB
        self.gracePeriod = gracePeriod
        self.slurm = slurm
        self.queryFailureLimit = queryFailureLimit
    }

    /// Seconds a job of `plan` gets to stop once its script got SIGTERM, before SIGKILL: the grace period, or, inside
    /// a study's single allocation, up to half the walltime warning (60 s at most), so that the server has time to
    /// checkpoint before the allocation ends.
    public func stopGrace(for plan: PlanModel.Plan) -> Double {
        guard plan.allocation != nil else { return gracePeriod }
        return max(gracePeriod, min(60, Double(plan.warningSeconds ?? 120) / 2))
    }
}
