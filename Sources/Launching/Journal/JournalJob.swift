import Foundation

/// A job as the journal knows it: one submission of the server or of one simulation (one task of an array).
public struct JournalJob: Sendable, Hashable {
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
    /// The process group of a local job, once it started.
    public var processGroup: Int32?

    /// Creates a job record.
    public init(
        rowID: Int64, schedulerID: JobID, simulationID: Int?, attempt: Int, state: JobState, word: String?,
        nodeList: String?, submittedAt: Date, updatedAt: Date, processGroup: Int32? = nil
    ) {
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
    public var isServer: Bool { simulationID == nil }
}
