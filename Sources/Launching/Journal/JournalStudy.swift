import Foundation

/// The journal's study row: which plan is being executed, since when, and by which launcher.
public struct JournalStudy: Sendable, Hashable {
    /// The study's name.
    public var name: String
    /// A hash of `plan.json`: a resumed launch checks it executes the same plan.
    public var planHash: String
    /// `local` or `slurm`.
    public var scheduler: String
    /// Simulations in the plan.
    public var simulationCount: Int
    /// When the first launch started.
    public var startedAt: Date
    /// The pid of the launcher that wrote last.
    public var launcherPID: Int?
    /// Its host.
    public var launcherHost: String?
    /// Its last heartbeat.
    public var heartbeatAt: Date?
    /// How many launches (1 + resumes).
    public var launches: Int

    /// Creates a study row.
    public init(
        name: String, planHash: String, scheduler: String, simulationCount: Int, startedAt: Date,
        launcherPID: Int? = nil, launcherHost: String? = nil, heartbeatAt: Date? = nil, launches: Int = 1
    ) {
        self.name = name
        self.planHash = planHash
        self.scheduler = scheduler
        self.simulationCount = simulationCount
        self.startedAt = startedAt
        self.launcherPID = launcherPID
        self.launcherHost = launcherHost
        self.heartbeatAt = heartbeatAt
        self.launches = launches
    }
}
