import Foundation
import PlanModel
import Planning

/// Submits, queries, cancels and re-throttles a study's jobs on Slurm.
///
/// - submit: `sbatch --parsable` with the request's options (array chunk and throttle, `--export=ALL,MELISSA_…`,
///   `--dependency`, `--exclude`, `--mem`, `--time`). Nodes to exclude are avoided only while another node can run
///   the job: when `sbatch --test-only` says no node could ("Requested node configuration is not available": the
///   excluded nodes are all the partition has, or the others are down), the job is submitted without `--exclude`;
/// - query: one `sacct -X --parsable2 --noheader` call for every job of the study's names since its first
///   submission; tracked jobs that accounting does not show yet (pending array tasks, jobs not yet eligible) are
///   looked up with one `squeue` call. When accounting is off (`sacct` says "accounting storage is disabled" or
///   fails) or ``SlurmAdapterOptions/useAccounting`` is false, `squeue` alone answers, and tracked jobs missing from
///   it are reported as ``JobState/vanished``. A tracked job that failed is looked up once more with its steps
///   (`sacct --jobs`): when one of them ran out of memory (a simulation started with `srun` is a step of its own,
///   and the job only says `FAILED`), it is ``JobState/outOfMemory``; it stays ``JobState/running`` until its
///   steps are recorded as over and ``stepSettleSeconds`` have passed since its end. A tracked job `sacct` says
///   ended `NODE_FAIL` or `PREEMPTED` is looked up in `squeue` too: if Slurm requeued it, `squeue`'s state
///   (pending…) is reported;
/// - cancel: `scancel`; throttle: `scontrol update JobId=<id> ArrayTaskThrottle=<n>`.
public struct SlurmAdapter: SchedulerAdapter {
    /// How the adapter runs.
    public var options: SlurmAdapterOptions
    /// What runs the Slurm commands.
    public var runner: CommandRunner

    /// Creates an adapter.
    public init(options: SlurmAdapterOptions = SlurmAdapterOptions()) {
        self.options = options
        self.runner = CommandRunner(timeout: options.commandTimeout, environment: options.environment)
    }

    /// The `sbatch` command that submits `request`.
    public func submitCommand(_ request: SubmissionRequest) throws -> [String] {
        var command = ["sbatch", "--parsable", "--job-name=\(request.name)"]
        if let array = request.array {
            let throttle = request.throttle.map { "%\(max(1, $0))" } ?? ""
            command.append("--array=0-\(max(0, array.count - 1))\(throttle)")
        }
        let variables = request.jobEnvironment.sorted { $0.key < $1.key }
        for (name, value) in variables where value.contains(",") || value.contains(where: \.isNewline) {
            throw LaunchingError.unsupported(
                "cannot pass \(name)=\(value) through sbatch --export (a comma or a newline in a value)")
        }
        command.append("--export=" + (["ALL"] + variables.map { "\($0.key)=\($0.value)" }).joined(separator: ","))
        if let dependency = request.dependency { command.append("--dependency=\(dependency)") }
        if !request.excludedNodes.isEmpty {
            command.append("--exclude=" + request.excludedNodes.joined(separator: ","))
        }
        if let memory = request.memoryMiB { command.append("--mem=\(memory)M") }
        if let seconds = request.timeLimitSeconds {
            command.append("--time=\(max(1, (seconds + 59) / 60))")
        }
        if let directory = request.workingDirectory { command.append("--chdir=\(directory)") }
        return command + request.extraArguments + [request.script] + request.arguments
    }

    /// Submits with `sbatch --parsable` and returns the id it printed (for an array, the array's id).
    ///
    /// A request with ``SubmissionRequest/excludedNodes`` is first tried with `sbatch --test-only`: when Slurm says
    /// no node could run it, it is submitted without them (see ``exclusionLeavesNoNode(_:)``).
    public func submit(_ request: SubmissionRequest) async throws -> JobID {
        var request = request
        if !request.excludedNodes.isEmpty, try await exclusionLeavesNoNode(request) {
            request.excludedNodes = []
        }
        let command = try submitCommand(request)
        let result = try await runner.check(command)
        guard let line = result.output.split(whereSeparator: \.isNewline).last, let id = JobID(line) else {
            throw LaunchingError.unexpectedOutput(command: command, output: result.output)
        }
        return id
    }

    /// Whether no node could run `request` with its excluded nodes: `sbatch --test-only` says "Requested node
    /// configuration is not available" (the excluded nodes are all its partition has, or the others are down or
    /// drained). Any other answer keeps the exclusion.
    public func exclusionLeavesNoNode(_ request: SubmissionRequest) async throws -> Bool {
        let command = try submitCommand(request).map { $0 == "--parsable" ? "--test-only" : $0 }
        let result = try await runner.run(command)
        return !result.status.isSuccess
            && (result.error + result.output).contains(Self.noNodeAvailable)
    }

    /// What `sbatch` says when no node can run a job.
    static let noNodeAvailable = "Requested node configuration is not available"

    /// The `sacct` command that lists `jobs` with their steps (`7`, `7.batch`, `7.0`…), their states and ends.
    public func stepsCommand(_ jobs: [JobID]) -> [String] {
        [
            "sacct", "--parsable2", "--noheader", "--format=JobID,State,End",
            "--jobs=\(jobs.map(\.description).joined(separator: ","))",
        ]
    }

    /// The `sacct` command of one poll.
    public func sacctCommand(_ query: JobQuery) -> [String] {
        let since = query.since.addingTimeInterval(-options.startTimeMargin)
        return [
            "sacct", "-X", "--parsable2", "--noheader", "--format=\(SlurmOutput.sacctFormat)",
            "--name=\(query.names.joined(separator: ","))", "--starttime=\(Self.slurmTime(since))",
        ]
    }

    /// The `squeue` command of one poll (every task on its own line, finished jobs still in memory included).
    public func squeueCommand(_ query: JobQuery) -> [String] {
        [
            "squeue", "--array", "--states=all", "--noheader", "--name=\(query.names.joined(separator: ","))",
            "--Format=\(SlurmOutput.squeueFormat)",
        ]
    }

    /// Every job of the query, one status per job or array task (see ``SchedulerAdapter/query(_:)``).
    public func query(_ query: JobQuery) async throws -> [JobStatus] {
        if options.useAccounting {
            let result = try await runner.run(sacctCommand(query))
            if result.status.isSuccess && !SlurmOutput.accountingDisabled(result.output + result.error) {
                var statuses = SlurmOutput.sacct(result.output).flatMap(\.expanded)
                var queued: [JobStatus]?
                if Self.mayBeRequeued(statuses, expected: query.expected) {
                    let live = try await squeue(query)
                    queued = live
                    statuses = Self.requeued(statuses, queued: live)
                }
                let missing = Self.missing(query.expected, from: statuses)
                if !missing.isEmpty {
                    var live = queued ?? []
                    if queued == nil { live = try await squeue(query) }
                    let found = live.filter { status in missing.contains { Self.covers($0, status.id) } }
                    statuses += found + Self.vanished(Self.missing(missing, from: found))
                }
                // Also for a failed job only squeue knows yet (accounting lags): its steps decide.
                return try await outOfMemorySteps(statuses, expected: query.expected)
            }
        }
        let queued = try await squeue(query)
        return queued + Self.vanished(Self.missing(query.expected, from: queued))
    }

    /// Whether a tracked job ended in a state Slurm requeues from (`NODE_FAIL`, `PREEMPTED`): `sacct` records how
    /// the run ended before the job is back in the queue under the same id, so `squeue` must say which it is.
    static func mayBeRequeued(_ statuses: [JobStatus], expected: [JobID]) -> Bool {
        let tracked = Set(expected.flatMap(\.expanded))
        return statuses.contains { tracked.contains($0.id) && ($0.state == .nodeFailure || $0.state == .preempted) }
    }

    /// `statuses`, where a job `sacct` says ended `NODE_FAIL` or `PREEMPTED` but `squeue` (slurmctld itself) has
    /// live again (pending, requeued, running) takes `squeue`'s status: Slurm requeued it.
    static func requeued(_ statuses: [JobStatus], queued: [JobStatus]) -> [JobStatus] {
        let live = Dictionary(queued.filter { $0.state.isLive }.map { ($0.id, $0) }) { $1 }
        return statuses.map { status in
            guard status.state == .nodeFailure || status.state == .preempted, let again = live[status.id] else {
                return status
            }
            return again
        }
    }

    /// Cancels with `scancel`; jobs Slurm says are already over or unknown are ignored.
    public func cancel(_ jobs: [JobID]) async throws {
        guard !jobs.isEmpty else { return }
        let result = try await runner.run(["scancel"] + jobs.map(\.description))
        guard !result.status.isSuccess else { return }
        let errors = result.error.split(whereSeparator: \.isNewline).filter { line in
            !line.contains("already completing or completed") && !line.contains("Invalid job id specified")
        }
        if !errors.isEmpty { _ = try result.checked() }
    }

    /// `scontrol update JobId=<job> ArrayTaskThrottle=<limit>`.
    public func updateThrottle(of job: JobID, to limit: Int) async throws {
        _ = try await runner.check(["scontrol", "update", "JobId=\(job.job)", "ArrayTaskThrottle=\(max(0, limit))"])
    }

    /// Unless the plan packs one job per simulation (`packing: jobs`).
    public func submitsArrays(_ plan: Plan) -> Bool { plan.packing != .jobs }

    /// The simulation's own batch file, or a one-task array of the array script.
    public func simulationRequest(_ id: Int, of plan: Plan, attempt: Int) -> SubmissionRequest {
        .batchSimulation(id, of: plan, attempt: attempt)
    }

    /// Each array's `ArrayTaskThrottle`.
    public var windowThrottle: WindowThrottle { .perArray }

    /// Polled like any other job; an array task keeps its array's throttle in step with the window.
    public func adoption(of job: JournalJob) -> JobAdoption {
        .scheduler(array: job.schedulerID.arrayTask != nil ? JobID(job: job.schedulerID.job) : nil)
    }

    /// None: Slurm keeps track of its jobs.
    public func processGroup(of job: JobID) async -> ProcessGroup? { nil }

    /// The `ArrayTaskThrottle` Slurm has for array `job` (`scontrol show job`), nil when it is no pending array.
    public func arrayThrottle(of job: JobID) async throws -> Int? {
        let result = try await runner.check(["scontrol", "--oneliner", "show", "job", String(job.job)])
        return SlurmOutput.scontrolRecords(result.output).lazy.compactMap { $0["ArrayTaskThrottle"] }
            .compactMap { Int($0) }.first
    }

    /// `statuses`, where a failed job the launcher tracks (in `expected`) one of whose steps ran out of memory is
    /// ``JobState/outOfMemory`` (one `sacct --jobs` call for all of them; if it fails, they stay failed).
    ///
    /// Accounting may record a job's end before the end of a step `srun` started (srun returned, the batch file
    /// ended, while the step's own daemon still checked for out-of-memory kills, or before the step's record
    /// reached the database). So a failed job is reported as still ``JobState/running`` while one of its steps is
    /// not recorded as over, or until ``stepSettleSeconds`` after its end (while accounting does not know the job
    /// at all either: then `squeue` does, for `MinJobAge`, after which it is ``JobState/vanished``); the next poll
    /// looks again.
    private func outOfMemorySteps(_ statuses: [JobStatus], expected: [JobID]) async throws -> [JobStatus] {
        let tracked = Set(expected.flatMap(\.expanded))
        let failed = statuses.filter { status in
            if case .failed = status.state { return tracked.contains(status.id) }
            return false
        }
        guard !failed.isEmpty else { return statuses }
        let result = try await runner.run(stepsCommand(failed.map(\.id)))
        guard result.status.isSuccess else { return statuses }
        let steps = SlurmOutput.outOfMemorySteps(result.output)
        let unsettled = SlurmOutput.unsettledSteps(result.output)
        let ends = SlurmOutput.endTimes(result.output)
        let now = Date()
        return statuses.map { status in
            guard case .failed = status.state, tracked.contains(status.id) else { return status }
            var changed = status
            if let step = steps[status.id] {
                changed.state = .outOfMemory
                changed.word = "\(status.word) (step \(step): OUT_OF_MEMORY)"
            } else if unsettled.contains(status.id)
                || (ends[status.id].map { now.timeIntervalSince($0) < Self.stepSettleSeconds } ?? true)
            {
                changed.state = .running
                changed.word = "\(status.word) (its steps' accounting is awaited)"
            }
            return changed
        }
    }

    /// Seconds after a failed job's end during which accounting may still record one of its steps out of memory.
    public static let stepSettleSeconds: Double = 10

    private func squeue(_ query: JobQuery) async throws -> [JobStatus] {
        let result = try await runner.check(squeueCommand(query))
        return SlurmOutput.squeue(result.output).flatMap(\.expanded)
    }

    /// Whether `expected` (a job, an array, or a task) stands for `id`.
    static func covers(_ expected: JobID, _ id: JobID) -> Bool {
        guard expected.job == id.job else { return false }
        if let task = expected.arrayTask { return id.arrayTask == task }
        if let tasks = expected.arrayTasks { return id.arrayTask.map { tasks.indices.contains($0) } ?? false }
        if let component = expected.component { return id.component == component }
        return true
    }

    /// The expected jobs (expanded) that no status covers.
    static func missing(_ expected: [JobID], from statuses: [JobStatus]) -> [JobID] {
        let seen = Set(statuses.map(\.id))
        let jobs = Set(statuses.map(\.id.job))
        return expected.flatMap(\.expanded).filter { id in
            if id.arrayTask != nil || id.component != nil { return !seen.contains(id) }
            return !jobs.contains(id.job)
        }
    }

    private static func vanished(_ ids: [JobID]) -> [JobStatus] {
        ids.map { JobStatus(id: $0, state: .vanished, word: "vanished") }
    }

    /// Slurm's local time form, `YYYY-MM-DDTHH:MM:SS`.
    static func slurmTime(_ date: Date) -> String {
        slurmTimeFormatter().string(from: date)
    }

    /// Reads Slurm's local time form; nil for anything else (`Unknown`, `None`).
    static func slurmDate(_ text: some StringProtocol) -> Date? {
        slurmTimeFormatter().date(from: String(text))
    }

    private static func slurmTimeFormatter() -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone.current
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        return formatter
    }
}
