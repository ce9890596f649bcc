import Foundation

/// Where a study stands, from its journal: what `melissa status` prints.
public struct JournalSummary: Sendable, Hashable {
    /// The study's name ("" before the launcher started).
    public var studyName: String
    /// Simulations in the plan.
    public var simulations: Int
    /// Simulations that completed (once is enough).
    public var done: Int
    /// Simulations whose latest job is running (or suspended).
    public var running: Int
    /// Simulations whose latest job waits in the queue (pending or requeued), not counting unsubmitted ones.
    public var pending: Int
    /// Simulations whose latest job ended without completing (the launcher may still retry them).
    public var failed: Int
    /// Simulations never submitted.
    public var notSubmitted: Int
    /// The server's latest state, if it was submitted.
    public var server: JobState?
    /// The launcher's last heartbeat, its pid and host.
    public var heartbeat: Date?
    /// The pid of the launcher that wrote last.
    public var launcherPID: Int?
    /// The host of the launcher that wrote last.
    public var launcherHost: String?
    /// The latest events, newest first.
    public var lastEvents: [JournalEvent]
    /// The workers (`execution.workers`), by number; empty without.
    public var workers: [JournalWorker]

    /// Creates a summary.
    public init(
        studyName: String = "", simulations: Int = 0, done: Int = 0, running: Int = 0, pending: Int = 0,
        failed: Int = 0, notSubmitted: Int = 0, server: JobState? = nil, heartbeat: Date? = nil,
        launcherPID: Int? = nil, launcherHost: String? = nil, lastEvents: [JournalEvent] = [],
        workers: [JournalWorker] = []
    ) {
        self.workers = workers
        self.studyName = studyName
        self.simulations = simulations
        self.done = done
        self.running = running
        self.pending = pending
        self.failed = failed
        self.notSubmitted = notSubmitted
        self.server = server
        self.heartbeat = heartbeat
        self.launcherPID = launcherPID
        self.launcherHost = launcherHost
        self.lastEvents = lastEvents
    }
}

extension JobState {
    /// Where a simulation whose latest job is in this state stands, as `melissa status` counts it: `running`
    /// (running or suspended), `pending` (queued, requeued, or not known to be over), or `failed` (over without
    /// completing; the launcher may still retry it).
    public var standing: String {
        switch self {
        case .running, .suspended: "running"
        case .pending, .requeued, .vanished, .unknown: "pending"
        default: "failed"
        }
    }
}
