/// What a scheduler says about one job at one poll, already mapped to a neutral ``JobState``.
public struct JobStatus: Sendable, Hashable {
    /// The job (one task for arrays: queries expand pending array records into their tasks).
    public var id: JobID
    /// The job's name, when the scheduler printed it.
    public var name: String?
    /// The neutral state.
    public var state: JobState
    /// The scheduler's own word, kept for the journal: `CANCELLED by 0`, `FAILED`, `exit 1`, `vanished`.
    public var word: String
    /// How it ended, when known.
    public var exitStatus: ExitStatus?
    /// The nodes it ran on (Slurm's compressed list, `node[01-04]`), when known.
    public var nodeList: String?
    /// Why it is pending or how it ended, in the scheduler's words (`JobArrayTaskLimit`, `NonZeroExitCode`).
    public var reason: String?
    /// The process group the job runs in (local jobs, once started), for the journal.
    public var processGroup: ProcessGroup?

    /// Creates a status.
    public init(
        id: JobID,
        name: String? = nil,
        state: JobState,
        word: String,
        exitStatus: ExitStatus? = nil,
        nodeList: String? = nil,
        reason: String? = nil,
        processGroup: ProcessGroup? = nil
    ) {
        self.id = id
        self.name = name
        self.state = state
        self.word = word
        self.exitStatus = exitStatus
        self.nodeList = nodeList
        self.reason = reason
        self.processGroup = processGroup
    }

    /// One status per job this one stands for (each task of a pending array record), otherwise itself.
    public var expanded: [JobStatus] {
        guard id.arrayTasks != nil else { return [self] }
        return id.expanded.map { task in
            var status = self
            status.id = task
            return status
        }
    }
}
