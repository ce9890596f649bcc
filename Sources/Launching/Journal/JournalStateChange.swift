/// A job whose state the journal just changed, with the state it had.
public struct JournalStateChange: Sendable, Hashable {
    /// The job, with its new state.
    public var job: JournalJob
    /// The state it had before.
    public var from: JobState

    /// Creates a change.
    public init(job: JournalJob, from: JobState) {
        self.job = job
        self.from = from
    }
}
