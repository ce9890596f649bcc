import PlanModel
import Planning

/// The bridge between the launcher and one scheduler (after maestrowf's `ScriptAdapter`).
///
/// An adapter knows how to submit, query, cancel and re-throttle, and answers the few questions in which schedulers
/// differ (arrays, what the window limits, how a resumed launcher keeps watching a job, process groups); the plan's
/// templates know how a job's header and parallel launch are written. The launcher owns job state and the recovery
/// policy: it sees only ``JobState``s, never a scheduler word, and never asks which scheduler it talks to.
/// ``SchedulerAdapterFactory`` gives the adapter for a plan's scheduler.
public protocol SchedulerAdapter: Sendable {
    /// Submits one job (or one array chunk) and returns the id the scheduler gave it.
    func submit(_ request: SubmissionRequest) async throws -> JobID

    /// The state of every job the query covers, in one scheduler call (two at most, when accounting lags):
    /// one status per job or array task, pending array records expanded. A tracked job the scheduler no longer
    /// knows comes back as ``JobState/vanished``.
    func query(_ query: JobQuery) async throws -> [JobStatus]

    /// Cancels jobs (an array id cancels every task); jobs already over are ignored.
    func cancel(_ jobs: [JobID]) async throws

    /// Lets at most `limit` tasks of array `job` run at once (``WindowThrottle/adapterWide``: at most `limit` jobs).
    func updateThrottle(of job: JobID, to limit: Int) async throws

    /// Whether `plan`'s simulations are submitted as job arrays, one per chunk of `plan.scripts.arrays` (each
    /// throttled to the window), rather than one job per simulation.
    func submitsArrays(_ plan: Plan) -> Bool

    /// The submission of one simulation of `plan` (a first run, a retry, a resubmission), before the launcher adds
    /// what its record asks for (memory, excluded nodes).
    func simulationRequest(_ id: Int, of plan: Plan, attempt: Int) -> SubmissionRequest

    /// The submission of worker `number` of `plan` (`execution.workers`); nil when the plan has none. By default
    /// ``SubmissionRequest/worker(_:of:)``: a worker is a job like any other, which the adapter submits, polls and
    /// cancels; what runs inside it is the launcher's matter, through the worker channel.
    func workerRequest(_ number: Int, of plan: Plan) -> SubmissionRequest?

    /// What ``updateThrottle(of:to:)`` limits when the launcher's window changes.
    var windowThrottle: WindowThrottle { get }

    /// How a resumed launcher keeps watching `job`, which an earlier launcher submitted and which the journal says
    /// is live.
    func adoption(of job: JournalJob) -> JobAdoption

    /// The process group `job` runs in once started, for the journal (a resumed launcher checks and signals it);
    /// nil for schedulers that keep track of their jobs themselves, or while it has not started.
    func processGroup(of job: JobID) async -> ProcessGroup?

    /// Returns when one of its jobs may have changed state, or after `seconds` at most: the launcher's wait between
    /// two polls. The default waits the whole time (a scheduler that must be asked); the local adapter returns as
    /// soon as a job exits, so that the next simulation starts at once.
    func waitForChange(atMost seconds: Double) async
}

extension SchedulerAdapter {
    /// The worker script with the worker's number (``SubmissionRequest/worker(_:of:)``).
    public func workerRequest(_ number: Int, of plan: Plan) -> SubmissionRequest? {
        .worker(number, of: plan)
    }

    /// Waits `seconds` (or until the task is cancelled).
    public func waitForChange(atMost seconds: Double) async {
        try? await Task.sleep(for: .seconds(seconds))
    }
}
