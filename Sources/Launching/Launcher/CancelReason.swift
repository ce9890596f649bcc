/// Why the launcher cancelled one of its jobs: what the job's `cancelled` state then means.
enum CancelReason: String, Sendable, Hashable {
    /// The server reported it silent for too long: a fault, retried against the budget.
    case silent
    /// The server died: it is resubmitted once the server listens again, without spending the budget.
    case serverRestart = "server-restart"
    /// The study is being cancelled or has ended: nothing follows.
    case stopping
}
