import Foundation

/// A job as the journal knows it: one submission of the server or of one simulation (one task of an array), a worker
/// job, or one simulation a worker ran (a run, `123:4`).
public struct JournalJob: Sendable, Hashable {
    /// What the job is (`jobs.role`).
    public enum Kind: String, Sendable, Hashable {
        /// The training server.
        case server
        /// A simulation: its own job, an array task, or a run inside a worker.
        case simulation
        /// A worker job (`execution.workers`).
        case worker
    }

    /// Its row in `jobs`.
    public var rowID: Int64
    /// The scheduler's id (`123`, `123_4`, a local number).
    public var schedulerID: JobID
    /// The simulation it runs; nil for the server.
    public var simulationID: Int?
    /// The attempt, from 0.
    public var attempt: Int
    /// Its last known state.
    public var state: JobState
    /// The scheduler's word for it.
    public var word: String?
    /// Where it ran, when known.
    public var nodeList: String?
    /// When it was submitted.
    public var submittedAt: Date
    /// When its state last changed.
    public var updatedAt: Date
    /// The process group of a local job, once it started (a worker's run: the group its worker reported).
    public var processGroup: Int32?
    /// What it is.
    public var kind: Kind
    /// The worker's number: of a worker job, or of the worker that ran this simulation.
    public var worker: Int?

    /// Creates a job record; `kind` defaults to the server's without a simulation, a simulation's with one.
    public init(
        rowID: Int64, schedulerID: JobID, simulationID: Int?, attempt: Int, state: JobState, word: String?,
        nodeList: String?, submittedAt: Date, updatedAt: Date, processGroup: Int32? = nil, kind: Kind? = nil,
        worker: Int? = nil
    ) {
        self.kind = kind ?? (simulationID == nil ? .server : .simulation)
        self.worker = worker
        self.rowID = rowID
        self.schedulerID = schedulerID
        self.simulationID = simulationID
        self.attempt = attempt
        self.state = state
        self.word = word
        self.nodeList = nodeList
        self.submittedAt = submittedAt
        self.updatedAt = updatedAt
        self.processGroup = processGroup
    }

    /// Whether this is the server's job.
    public var isServer: Bool { kind == .server }

    /// Whether this is a worker job.
    public var isWorker: Bool { kind == .worker }

    /// Whether this is a simulation a worker ran (no job of the scheduler's own: its worker's job is).
    public var isRun: Bool { schedulerID.run != nil }
}
