import Foundation
import PlanModel
import Planning

/// Runs a plan's local scripts (`scripts/server.sh`, `scripts/simulation.sh <id>`) on this machine.
///
/// Each job is a process group of its own (``ProcessGroup``), started when fewer than
/// ``LocalAdapterOptions/concurrency`` jobs run, in submission order. Cancelling (or a time limit) tears the whole
/// group down: SIGTERM, ``LocalAdapterOptions/gracePeriod`` seconds, SIGKILL. Processes a job leaves behind in its
/// group when it exits are torn down the same way. Exit statuses map to neutral states: 0 → completed,
/// n → failed(n), signal s → failed(0, s), cancelled by the launcher → cancelled, past its time limit → timedOut.
public actor LocalAdapter: SchedulerAdapter {
    /// How it runs jobs.
    public private(set) var options: LocalAdapterOptions
    private var jobs: [Int: LocalJob] = [:]
    private var queue: [Int] = []
    private var running: Set<Int> = []
    private var nextNumber: Int
    private var teardowns: [Int: Task<Void, Never>] = [:]
    /// A job exited since the launcher last waited.
    private var changed = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// Creates an adapter.
    public init(options: LocalAdapterOptions = LocalAdapterOptions()) {
        self.options = options
        self.nextNumber = options.firstJobNumber
    }

    /// Queues the request's script and starts it if a slot is free. Arrays are a Slurm matter: submit one
    /// simulation per request.
    public func submit(_ request: SubmissionRequest) async throws -> JobID {
        guard request.array == nil else {
            throw LaunchingError.unsupported("the local adapter runs one simulation per submission, not arrays")
        }
        guard FileManager.default.isExecutableFile(atPath: request.script) else {
            throw LaunchingError.cannotStart(command: [request.script] + request.arguments, reason: "not executable")
        }
        let id = JobID(job: nextNumber)
        nextNumber += 1
        jobs[id.job] = LocalJob(id: id, request: request)
        queue.append(id.job)
        startQueued()
        return id
    }

    /// Every job of the query's names (all jobs when it names none); tracked ids this adapter never ran are
    /// reported as vanished.
    public func query(_ query: JobQuery) async throws -> [JobStatus] {
        let names = Set(query.names)
        var statuses = jobs.values.filter { names.isEmpty || names.contains($0.request.name) }.map(\.status)
        statuses.sort { $0.id < $1.id }
        for id in query.expected where jobs[id.job] == nil {
            statuses.append(JobStatus(id: id, state: .vanished, word: "vanished"))
        }
        return statuses
    }

    /// Cancels jobs: pending ones never start; running ones are torn down (SIGTERM, grace, SIGKILL).
    public func cancel(_ ids: [JobID]) async throws {
        for id in ids {
            guard var job = jobs[id.job], !job.state.isFinished else { continue }
            job.cancelRequested = true
            if job.group == nil {
                queue.removeAll { $0 == id.job }
                job.state = .cancelled(by: nil)
                job.word = "cancelled"
            }
            jobs[id.job] = job
            if let group = job.group { tearDown(id.job, group) }
        }
    }

    /// Changes how many jobs run at once (locally, one limit covers every job).
    public func updateThrottle(of job: JobID, to limit: Int) async throws {
        setConcurrency(limit)
    }

    /// Never: one simulation per submission.
    public nonisolated func submitsArrays(_ plan: Plan) -> Bool { false }

    /// The local script with the simulation's id, under the simulation's walltime.
    public nonisolated func simulationRequest(_ id: Int, of plan: Plan, attempt: Int) -> SubmissionRequest {
        .localSimulation(id, of: plan, attempt: attempt)
    }

    /// One limit, ``LocalAdapterOptions/concurrency``, covers every job.
    public nonisolated var windowThrottle: WindowThrottle { .adapterWide }

    /// Through its process group, as recorded in the journal (this adapter knows only the jobs it started).
    public nonisolated func adoption(of job: JournalJob) -> JobAdoption {
        .processGroup(job.processGroup.flatMap { $0 > 0 ? ProcessGroup(id: $0) : nil })
    }

    /// The group of a job this adapter started.
    public func processGroup(of job: JobID) -> ProcessGroup? {
        jobs[job.job]?.group
    }

    /// Changes how many jobs run at once; more start at once if the limit grew.
    public func setConcurrency(_ limit: Int) {
        options.concurrency = max(0, limit)
        startQueued()
    }

    /// Cancels every job and waits (bounded by the grace period plus a few seconds) until each has ended.
    public func shutdown() async {
        try? await cancel(jobs.values.map(\.id))
        let deadline = ContinuousClock.now + .seconds(options.gracePeriod + 10)
        while ContinuousClock.now < deadline, jobs.values.contains(where: { !$0.state.isFinished }) {
            try? await Task.sleep(for: .milliseconds(20))
        }
        for task in teardowns.values { await task.value }
    }

    private func startQueued() {
        while running.count < options.concurrency, !queue.isEmpty {
            start(queue.removeFirst())
        }
    }

    private func start(_ number: Int) {
        guard var job = jobs[number] else { return }
        let request = job.request
        // MELISSA_JOB_ID: the job's own number, which its scripts may name things after (an allocation's steps).
        let environment = ProcessInfo.processInfo.environment.merging(options.environment) { $1 }
            .merging(request.jobEnvironment) { $1 }.merging([Self.jobNumberVariable: String(number)]) { $1 }
        do {
            let group = try ProcessGroup.spawn(
                executable: request.script, arguments: request.arguments, environment: environment,
                workingDirectory: request.workingDirectory,
                outputFile: options.outputDirectory.map { "\($0)/local-\(number).out" }
            ) { [weak self] status in
                guard let self else { return }
                Task { await self.exited(number, waitStatus: status) }
            }
            job.group = group
            job.state = .running
            job.word = "running"
            running.insert(number)
            if let limit = request.timeLimitSeconds {
                Task { [weak self] in
                    try? await Task.sleep(for: .seconds(limit))
                    await self?.timeLimitReached(number)
                }
            }
        } catch {
            job.state = .bootFailure
            job.word = "cannot start: \(error)"
        }
        jobs[number] = job
    }

    private func timeLimitReached(_ number: Int) {
        guard var job = jobs[number], job.state == .running, let group = job.group else { return }
        job.timeLimitReached = true
        jobs[number] = job
        tearDown(number, group)
    }

    /// Returns at once when a job exited since the last call, otherwise when one exits or after `seconds`.
    public func waitForChange(atMost seconds: Double) async {
        if !changed {
            await withCheckedContinuation { continuation in
                waiters.append(continuation)
                Task { [weak self] in
                    try? await Task.sleep(for: .seconds(seconds))
                    await self?.wakeWaiters()
                }
            }
        }
        changed = false
    }

    private func wakeWaiters() {
        let woken = waiters
        waiters = []
        for waiter in woken { waiter.resume() }
    }

    private func exited(_ number: Int, waitStatus: Int32) {
        defer {
            changed = true
            wakeWaiters()
        }
        guard var job = jobs[number] else { return }
        let exit = ExitStatus(waitStatus: waitStatus)
        job.exitStatus = exit
        if job.cancelRequested {
            job.state = .cancelled(by: nil)
            job.word = "cancelled"
        } else if job.timeLimitReached {
            job.state = .timedOut
            job.word = "timeout"
        } else if exit.isSuccess {
            job.state = .completed
            job.word = "exit 0"
        } else if exit.signal != 0 {
            job.state = .failed(exitCode: 0, signal: exit.signal)
            job.word = "signal \(exit.signal)"
        } else {
            job.state = .failed(exitCode: exit.code, signal: nil)
            job.word = "exit \(exit.code)"
        }
        jobs[number] = job
        running.remove(number)
        // Whatever the job left behind in its group goes with it.
        if let group = job.group, group.isAlive, teardowns[number] == nil { tearDown(number, group, leftovers: true) }
        startQueued()
    }

    /// Stops a job's group; `leftovers`: what its script left behind once it exited (the whole group at once).
    private func tearDown(_ number: Int, _ group: ProcessGroup, leftovers: Bool = false) {
        guard teardowns[number] == nil else { return }
        let (grace, scriptFirst) = (options.gracePeriod, options.stopsScriptFirst && !leftovers)
        teardowns[number] = Task { await group.terminate(grace: grace, leaderFirst: scriptFirst) }
    }

    /// The variable that gives every job its own number (its id), `MELISSA_JOB_ID`.
    public static let jobNumberVariable = "MELISSA_JOB_ID"
}
