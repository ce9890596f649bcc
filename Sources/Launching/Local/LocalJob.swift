import Foundation

/// One job of the ``LocalAdapter``: its request and what became of it.
struct LocalJob: Sendable {
    /// Its id.
    var id: JobID
    /// What was submitted.
    var request: SubmissionRequest
    /// Its state.
    var state: JobState = .pending
    /// The word reported as the scheduler's: `pending`, `running`, `exit 1`, `signal 9`, `cancelled`, `timeout`.
    var word = "pending"
    /// Its process group, once started.
    var group: ProcessGroup?
    /// How it ended.
    var exitStatus: ExitStatus?
    /// Set when the launcher cancelled it: its end is reported as cancelled whatever the status.
    var cancelRequested = false
    /// Set when it ran past its time limit.
    var timeLimitReached = false

    /// Its status, as a query reports it.
    var status: JobStatus {
        JobStatus(
            id: id, name: request.name, state: state, word: word, exitStatus: exitStatus,
            nodeList: group == nil ? nil : ProcessInfo.processInfo.hostName,
            processGroup: group)
    }
}
