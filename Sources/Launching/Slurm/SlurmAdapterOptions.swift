/// How a ``SlurmAdapter`` talks to Slurm.
public struct SlurmAdapterOptions: Sendable, Hashable {
    /// Ask `sacct` first (false: `squeue` only, as on a cluster without accounting).
    public var useAccounting: Bool
    /// Seconds a Slurm command may take before it is killed.
    public var commandTimeout: Double
    /// Variables for the Slurm commands' environment (e.g. `SLURM_CONF`), on top of the launcher's.
    public var environment: [String: String]
    /// Seconds subtracted from a query's `since` before it is given to `sacct --starttime` (clock skew, rounding).
    public var startTimeMargin: Double

    /// Creates options.
    public init(
        useAccounting: Bool = true, commandTimeout: Double = 60, environment: [String: String] = [:],
        startTimeMargin: Double = 60
    ) {
        self.useAccounting = useAccounting
        self.commandTimeout = commandTimeout
        self.environment = environment
        self.startTimeMargin = startTimeMargin
    }
}
