/// `execution.workers`: the simulations run one after another inside a few long-lived worker jobs instead of one
/// scheduler job each (for ensembles of many short simulations, where a job per simulation costs more in queueing
/// and scheduler load than the simulation itself).
///
/// Each worker is one job, with the resources of one simulation and a walltime of its own, that asks the launcher
/// for the next simulation, runs it, and asks again. The elastic window counts workers: it moves between
/// `execution.concurrency.min` and ``count``.
public struct WorkersSpec: Sendable, Hashable, Codable {
    /// Worker jobs at most (the window's maximum, `execution.concurrency.max`). Default: `execution.concurrency.max`.
    public var count: Int
    /// Each worker job's walltime; nil: the server's (`execution.server.walltime`). At least the simulation's.
    public var walltime: Walltime?

    /// Creates the section.
    public init(count: Int = 4, walltime: Walltime? = nil) {
        self.count = count
        self.walltime = walltime
    }
}
