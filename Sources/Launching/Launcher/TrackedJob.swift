import Foundation

/// A job the launcher watches: what it runs and what the launcher did to it.
struct TrackedJob: Sendable {
    /// The scheduler's id (an array task for arrays).
    var id: JobID
    /// The journal's row.
    var rowID: Int64
    /// The simulation it runs; nil for the server.
    var simulationID: Int?
    /// Its attempt.
    var attempt: Int
    /// Its last known state.
    var state: JobState = .pending
    /// Where it runs.
    var nodeList: String?
    /// Set when the launcher cancelled it.
    var cancelReason: CancelReason?
    /// The memory override it was submitted with.
    var memoryMiB: Int?
    /// The nodes it was told to avoid.
    var excludedNodes: [String] = []
    /// Polls it has spent vanished or preempted.
    var oddPolls = 0
    /// How a job an earlier launcher submitted is watched (nil: submitted by this launcher).
    var adoption: JobAdoption?
    /// Whether its process group was recorded in the journal.
    var groupRecorded = false
    /// The array job it belongs to (`packing: array`), for throttle updates.
    var array: JobID?
    /// The launcher stopped waiting for it (lost: vanished or preempted for three polls) and acted on its end; it
    /// no longer counts in flight, whatever its last state.
    var isGivenOver = false
    /// When this launcher first saw it running (its registration deadline counts from then).
    var runningSince: Date?
    /// The worker's number (`execution.workers`): of a worker job, or of the worker that runs this simulation.
    var worker: Int?

    /// Whether it still runs or may run, as far as the launcher is concerned: not finished and not given over.
    var isActive: Bool { !state.isFinished && !isGivenOver }

    /// Whether this is a worker job.
    var isWorker: Bool { simulationID == nil && worker != nil }

    /// Whether this is the server's job.
    var isServer: Bool { simulationID == nil && worker == nil }

    /// Whether this is a simulation run inside a worker (`123:4`): no job of the scheduler's, watched through its
    /// worker's reports.
    var isRun: Bool { id.run != nil }

    /// Whether it is watched through its process group rather than the adapter (a local job an earlier launcher
    /// started).
    var isWatchedByGroup: Bool {
        if case .processGroup = adoption { true } else { false }
    }

    /// The process group it is watched through, when one was recorded.
    var adoptedGroup: ProcessGroup? {
        if case .processGroup(let group) = adoption { group } else { nil }
    }
}
