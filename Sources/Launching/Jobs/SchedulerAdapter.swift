/// The bridge between the launcher and one scheduler (after maestrowf's `ScriptAdapter`).
///
/// An adapter knows how to submit, query, cancel and re-throttle; the plan's templates know how a job's header
/// and parallel launch are written. The launcher owns job state and the recovery policy: it sees only
/// ``JobState``s, never a scheduler word.
public protocol SchedulerAdapter: Sendable {
    /// Submits one job (or one array chunk) and returns the id the scheduler gave it.
    func submit(_ request: SubmissionRequest) async throws -> JobID

    /// The state of every job the query covers, in one scheduler call (two at most, when accounting lags):
    /// one status per job or array task, pending array records expanded. A tracked job the scheduler no longer
    /// knows comes back as ``JobState/vanished``.
    func query(_ query: JobQuery) async throws -> [JobStatus]

    /// Cancels jobs (an array id cancels every task); jobs already over are ignored.
    func cancel(_ jobs: [JobID]) async throws

    /// Lets at most `limit` tasks of array `job` run at once.
    func updateThrottle(of job: JobID, to limit: Int) async throws
}
