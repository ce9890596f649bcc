/// How a ``LocalAdapter`` runs jobs on this machine.
public struct LocalAdapterOptions: Sendable, Hashable {
    /// Jobs running at once; later submissions wait, pending, in submission order.
    public var concurrency: Int
    /// Seconds between SIGTERM and SIGKILL when a job's process group is torn down.
    public var gracePeriod: Double
    /// The number of the first job (local job ids are numbers; start past the journal's, so ids stay unique).
    public var firstJobNumber: Int
    /// Where each job's standard output and error go before its script redirects them: `<directory>/local-<n>.out`
    /// (nil: `/dev/null`).
    public var outputDirectory: String?
    /// Variables added to every job's environment, on top of the launcher's.
    public var environment: [String: String]
    /// Stopping a job sends SIGTERM to its script alone, then SIGKILL to its group after the grace period (the
    /// scripts pass the stop on as each payload needs it); otherwise SIGTERM goes to the whole group at once.
    public var stopsScriptFirst: Bool

    /// Creates options.
    public init(
        concurrency: Int = 1, gracePeriod: Double = 10, firstJobNumber: Int = 1, outputDirectory: String? = nil,
        environment: [String: String] = [:], stopsScriptFirst: Bool = false
    ) {
        self.stopsScriptFirst = stopsScriptFirst
        self.concurrency = concurrency
        self.gracePeriod = gracePeriod
        self.firstJobNumber = firstJobNumber
        self.outputDirectory = outputDirectory
        self.environment = environment
    }
}
