import Foundation
import PlanModel
import Planning

/// Runs a study's jobs as `srun` steps of the one Slurm allocation the launcher runs in
/// (`execution.slurm.allocation: single`, docs/launching.md, "One allocation").
///
/// Each request's script (`scripts/server.sh`, `scripts/simulation.sh <id>`: any request, whatever it runs) starts
/// on the allocation's first node as a process group of its own, through a ``LocalAdapter``; the script's launcher
/// is `srun --het-group=<n> --exact …` with the job's resources, so its payload is a step of the allocation, named
/// `<job name>.<job number>`. The step is watched through its script: `srun` returns the step's status, which the
/// script exits with (0 → completed, n → failed(n), signal s → failed(0, s), past the request's time limit →
/// timedOut, cancelled by the launcher → cancelled). One `squeue --steps` call, in a poll where a running job's
/// step is not known yet, tells each job's step id and nodes (its word: `running (step 1068.3 on alloc1)`).
/// Cancelling sends SIGTERM to the script alone, which stops its payload as it must (the server's srun gets
/// SIGUSR1 and the server checkpoints; a simulation's group gets SIGTERM), then SIGKILL to its group after the grace
/// period, then `scancel <step>` if the step outlived it.
///
/// A resumed launcher (a later launch in the same allocation, or the next allocation) adopts a job through its
/// process group only when the group's leader is the job's script in this allocation (its environment says
/// `SLURM_JOB_ID` and `MELISSA_JOB_ID`); any other job ended with its allocation, and is judged by the server's view.
public actor SrunStepAdapter: SchedulerAdapter {
    /// The allocation the steps run in.
    public nonisolated let allocation: SlurmAllocation
    /// How it runs.
    public nonisolated let options: SrunStepAdapterOptions
    private let local: LocalAdapter
    private let runner: CommandRunner
    /// Each job's step, by job number, once `squeue --steps` listed it.
    private var steps: [Int: SlurmStep] = [:]

    /// Creates an adapter for the steps of `allocation`.
    public init(allocation: SlurmAllocation, options: SrunStepAdapterOptions = SrunStepAdapterOptions()) {
        self.allocation = allocation
        self.options = options
        self.local = LocalAdapter(options: options.local)
        self.runner = CommandRunner(timeout: options.commandTimeout, environment: options.environment)
    }

    /// The name of the step a job runs as: `<job name>.<job number>` (the scripts' `srun --job-name`).
    public static func stepName(job name: String, number: Int) -> String {
        "\(name).\(number)"
    }

    /// Starts the request's script when a slot is free (arrays are not supported: one job per request).
    public func submit(_ request: SubmissionRequest) async throws -> JobID {
        guard request.array == nil else {
            throw LaunchingError.unsupported("the allocation's steps run one job per submission, not arrays")
        }
        return try await local.submit(request)
    }

    /// The jobs' states from their scripts, with their steps' ids and nodes.
    public func query(_ query: JobQuery) async throws -> [JobStatus] {
        let statuses = try await local.query(query)
        let unknown = statuses.filter { $0.state == .running && steps[$0.id.job] == nil }
        if !unknown.isEmpty { await lookUpSteps(of: unknown) }
        return statuses.map { status in
            guard let step = steps[status.id.job] else { return status }
            var status = status
            let place = step.nodeList.map { " on \($0)" } ?? ""
            status.word = "\(status.word) (step \(step.id)\(place))"
            status.nodeList = step.nodeList ?? status.nodeList
            return status
        }
    }

    /// The `squeue` command that lists the allocation's steps.
    public nonisolated var stepsCommand: [String] {
        [
            "squeue", "--steps", "--noheader", "--jobs=\(allocation.componentIDs.joined(separator: ","))",
            "--format=\(SlurmStep.squeueFormat)",
        ]
    }

    /// Learns the steps of `jobs` (one `squeue --steps` call; a failure leaves them unknown till the next poll: the
    /// scripts' statuses are what counts).
    private func lookUpSteps(of jobs: [JobStatus]) async {
        guard let result = try? await runner.run(stepsCommand), result.status.isSuccess else { return }
        let listed = Dictionary(SlurmStep.parse(result.output).map { ($0.name, $0) }) { $1 }
        for job in jobs {
            guard let name = job.name, let step = listed[Self.stepName(job: name, number: job.id.job)] else { continue }
            steps[job.id.job] = step
        }
    }

    /// Stops jobs through their scripts (SIGTERM to the script, SIGKILL to its group after the grace period); a
    /// step still listed after that is cancelled with `scancel`.
    public func cancel(_ jobs: [JobID]) async throws {
        try await local.cancel(jobs)
        let known = jobs.compactMap { steps[$0.job]?.id }
        guard !known.isEmpty else { return }
        let (runner, grace) = (runner, options.local.gracePeriod)
        Task {
            try? await Task.sleep(for: .seconds(grace + 2))
            _ = try? await runner.run(["scancel"] + known)
        }
    }

    /// Changes how many jobs run at once (one limit covers every job, the server's included).
    public func updateThrottle(of job: JobID, to limit: Int) async throws {
        await local.setConcurrency(limit)
    }

    /// Never: one job per simulation.
    public nonisolated func submitsArrays(_ plan: Plan) -> Bool { false }

    /// The simulation script with the simulation's id, under the simulation's walltime (enforced here: the step has
    /// none of its own).
    public nonisolated func simulationRequest(_ id: Int, of plan: Plan, attempt: Int) -> SubmissionRequest {
        .localSimulation(id, of: plan, attempt: attempt)
    }

    /// One limit covers every job.
    public nonisolated var windowThrottle: WindowThrottle { .adapterWide }

    /// Through its process group when its leader is that job's script in this allocation; otherwise the job ended
    /// with an earlier allocation (or its group's id is another process's now), and only the server can tell how.
    public nonisolated func adoption(of job: JournalJob) -> JobAdoption {
        guard let id = job.processGroup, id > 0 else { return .processGroup(nil) }
        let group = ProcessGroup(id: id)
        guard group.leaderEnvironment("SLURM_JOB_ID") == allocation.jobID,
            group.leaderEnvironment(LocalAdapter.jobNumberVariable) == job.schedulerID.description
        else { return .processGroup(nil) }
        return .processGroup(group)
    }

    /// The process group of a job's script.
    public func processGroup(of job: JobID) async -> ProcessGroup? {
        await local.processGroup(of: job)
    }

    /// Returns as soon as a job's script exits, or after `seconds`.
    public func waitForChange(atMost seconds: Double) async {
        await local.waitForChange(atMost: seconds)
    }

    /// Stops every job and waits until each has ended (bounded by the grace period plus a few seconds).
    public func shutdown() async {
        await local.shutdown()
    }
}
