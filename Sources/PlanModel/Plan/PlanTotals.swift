/// What the whole plan requests of the scheduler: server plus every simulation, each for its full walltime.
public struct PlanTotals: Sendable, Hashable, Codable {
    /// Jobs: the server plus one per simulation.
    public var jobs: Int
    /// Σ tasks × CPUs per task × walltime hours.
    public var coreHours: Double
    /// Σ nodes × walltime hours.
    public var nodeHours: Double
    /// Σ GPUs per node × nodes × walltime hours.
    public var gpuHours: Double

    /// Creates totals.
    public init(jobs: Int, coreHours: Double, nodeHours: Double, gpuHours: Double) {
        self.jobs = jobs
        self.coreHours = coreHours
        self.nodeHours = nodeHours
        self.gpuHours = gpuHours
    }
}
