import Foundation

/// Which jobs a poll asks about: all of a study's jobs at once, by name, since the first submission.
public struct JobQuery: Sendable, Hashable {
    /// Job names (`<study>-server`, `<study>-sim`): the scheduler is asked for every job of these names.
    public var names: [String]
    /// The earliest submission of the study (Slurm: `sacct --starttime`).
    public var since: Date
    /// The jobs the launcher tracks (array submissions as `JobID(job:arrayTasks:)` or one id per task). A tracked
    /// job the scheduler no longer knows is reported as ``JobState/vanished``.
    public var expected: [JobID]

    /// Creates a query.
    public init(names: [String], since: Date, expected: [JobID] = []) {
        self.names = names
        self.since = since
        self.expected = expected
    }
}
