import Foundation
import Launching
import PlanModel
import Planning

/// A scheduler in memory for the launcher's unit tests: it records every submission, cancellation and throttle
/// change, and moves each job through the states its script gives, one state per poll (the last one stays).
///
/// A job's state changes only when the launcher polls, so that between polls the adapter's view is the launcher's:
/// the simulations live at a submission are those the launcher counts in flight, plus the new one.
actor ScriptedAdapter: SchedulerAdapter {
    /// One submission, and how many simulation jobs were live (the new one included) when it came.
    struct Submission: Sendable {
        var id: JobID
        var request: SubmissionRequest
        var liveSimulations: Int
        /// The window as the adapter knows it then (its last throttle, or the maximum).
        var window: Int
    }

    private struct Job {
        var request: SubmissionRequest
        var states: [JobState]
        var next = 0
        var state: JobState = .pending
    }

    /// The states a simulation's submission goes through, one per poll (the last one stays): e.g.
    /// `[.running, .completed]`.
    typealias Script = @Sendable (SubmissionRequest) -> [JobState]

    private let script: Script
    private let server: ScriptedServer?
    private let serverEnds: @Sendable ([Int: JobState]) -> Bool
    private var jobs: [JobID: Job] = [:]
    private var nextNumber = 1
    private var window: Int
    /// Every submission, in order.
    private(set) var submissions: [Submission] = []
    /// Every job cancelled, in order.
    private(set) var cancelled: [JobID] = []
    /// Every throttle set, in order.
    private(set) var throttles: [Int] = []
    /// Every query, in order: how many jobs it expected.
    private(set) var queries: [Int] = []

    nonisolated let windowThrottle = WindowThrottle.adapterWide

    /// An adapter whose jobs follow `script`; the server's job completes at the first poll at which `serverEnds`
    /// says so of the latest state of each simulation (by id). `window`: the launcher's starting window.
    ///
    /// `server`, when given, hears of each simulation whose job completes, as a real server has it finished once its
    /// steps arrived (the launcher counts an exit 0 only once the server has the simulation finished).
    init(
        server: ScriptedServer? = nil, window: Int, script: @escaping Script = { _ in [.running, .completed] },
        serverEnds: @escaping @Sendable ([Int: JobState]) -> Bool
    ) {
        self.server = server
        self.window = window
        self.script = script
        self.serverEnds = serverEnds
    }

    /// The simulation submissions, by simulation id, in order.
    var simulationSubmissions: [Submission] {
        submissions.filter { $0.request.simulation != nil }
    }

    /// The server submissions, in order.
    var serverSubmissions: [Submission] {
        submissions.filter { $0.request.simulation == nil }
    }

    /// Replaces what comes next for the live jobs of `simulation` (nil: the server's).
    func script(simulation: Int?, _ states: [JobState]) {
        for (id, job) in jobs where job.request.simulation == simulation && !job.state.isFinished {
            jobs[id]?.states = states
            jobs[id]?.next = 0
        }
    }

    nonisolated func submitsArrays(_ plan: Plan) -> Bool { false }

    nonisolated func simulationRequest(_ id: Int, of plan: Plan, attempt: Int) -> SubmissionRequest {
        .localSimulation(id, of: plan, attempt: attempt)
    }

    nonisolated func adoption(of job: JournalJob) -> JobAdoption { .scheduler(array: nil) }

    func processGroup(of job: JobID) async -> ProcessGroup? { nil }

    func submit(_ request: SubmissionRequest) async throws -> JobID {
        let id = JobID(job: nextNumber)
        nextNumber += 1
        // The server runs until `serverEnds` says otherwise.
        jobs[id] = Job(request: request, states: request.simulation == nil ? [.running] : script(request))
        let live = jobs.values.count { $0.request.simulation != nil && !$0.state.isFinished }
        submissions.append(Submission(id: id, request: request, liveSimulations: live, window: window))
        return id
    }

    func query(_ query: JobQuery) async throws -> [JobStatus] {
        queries.append(query.expected.count)
        for (id, job) in jobs where !job.state.isFinished && job.request.simulation != nil { advance(id) }
        var latest: [Int: JobState] = [:]
        for job in jobs.values.sorted(by: { $0.request.attempt < $1.request.attempt }) {
            if let simulation = job.request.simulation { latest[simulation] = job.state }
        }
        for (id, job) in jobs where !job.state.isFinished && job.request.simulation == nil {
            if serverEnds(latest) { jobs[id]?.state = .completed } else { advance(id) }
        }
        var statuses = jobs.map { id, job in JobStatus(id: id, state: job.state, word: job.state.name) }
        for id in query.expected where jobs[id] == nil {
            statuses.append(JobStatus(id: id, state: .vanished, word: "vanished"))
        }
        return statuses.sorted { $0.id < $1.id }
    }

    func cancel(_ ids: [JobID]) async throws {
        for id in ids where jobs[id]?.state.isFinished == false {
            cancelled.append(id)
            jobs[id]?.state = .cancelled(by: nil)
            jobs[id]?.states = [.cancelled(by: nil)]
        }
    }

    func updateThrottle(of job: JobID, to limit: Int) async throws {
        throttles.append(limit)
        // Adapter-wide: the server's job counts too.
        window = limit - 1
    }

    private func advance(_ id: JobID) {
        guard var job = jobs[id], !job.states.isEmpty else { return }
        job.state = job.states[min(job.next, job.states.count - 1)]
        job.next += 1
        jobs[id] = job
        if job.state == .completed, let simulation = job.request.simulation { server?.simulationFinished(simulation) }
    }
}

extension SubmissionRequest {
    /// The simulation a one-simulation request runs; nil for the server.
    var simulation: Int? {
        if case .simulation(let id) = role { id } else { nil }
    }
}
