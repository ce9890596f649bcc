/// How an ``SrunStepAdapter`` runs a study's jobs as steps of its allocation.
public struct SrunStepAdapterOptions: Sendable, Hashable {
    /// How the jobs' scripts run on the allocation's first node (the launcher's): at most `concurrency` at once, in
    /// submission order; each the leader of its own process group; stopped through its script.
    public var local: LocalAdapterOptions
    /// Seconds a Slurm command (`squeue --steps`, `scancel`) may take.
    public var commandTimeout: Double
    /// Variables for the Slurm commands' environment, on top of the launcher's.
    public var environment: [String: String]

    /// Creates options. Stopping a job always goes through its script first (``LocalAdapterOptions/stopsScriptFirst``).
    public init(
        local: LocalAdapterOptions = LocalAdapterOptions(), commandTimeout: Double = 60,
        environment: [String: String] = [:]
    ) {
        var local = local
        local.stopsScriptFirst = true
        self.local = local
        self.commandTimeout = commandTimeout
        self.environment = environment
    }
}
