import Foundation
import PlanModel
import WireProtocol

/// Workers (`execution.workers`, docs/launching.md "Workers"): a few long-lived jobs that each run simulations one
/// after another.
///
/// A worker is a job like any other for the adapter (submitted, polled, cancelled through it); what runs inside it is
/// the launcher's matter, over the worker channel (docs/protocol.md): the worker reports what it runs and what ended,
/// with the study token, and the launcher answers with what to do. Each simulation a worker runs is a job of the
/// launcher's own bookkeeping, a *run* (`<worker job>:<n>`): a journal row per attempt, retries, redraws, timeouts and
/// the server's confirmation exactly as for a job of its own. A worker whose job ended (or that fell silent) loses only
/// its run, resubmitted without spending the budget. The window counts workers.
extension Launcher {
    // MARK: The channel

    /// Binds the worker channel and publishes `launcher.address` (a plan with workers only).
    func openWorkerChannel() throws {
        guard plan.workers != nil, workerChannel == nil else { return }
        do {
            workerToken = Array(
                try String(contentsOfFile: plan.tokenFile, encoding: .utf8).filter { !$0.isWhitespace }.utf8)
        } catch {
            throw WorkerError.noToken(path: plan.tokenFile, reason: FileProblem.describe(error, path: plan.tokenFile))
        }
        // Workers on other nodes reach a Slurm study's launcher by its host name; a local one stays on the loopback.
        let local = plan.scheduler == .local
        let channel = try WorkerChannel(
            bindHost: local ? "127.0.0.1" : "*", advertisedHost: local ? nil : ProcessInfo.processInfo.hostName)
        workerChannel = channel
        let address = LauncherAddress(
            pid: Int(ProcessInfo.processInfo.processIdentifier), host: ProcessInfo.processInfo.hostName,
            workers: channel.endpoint)
        try address.write(toDirectory: URL(fileURLWithPath: plan.studyDirectory, isDirectory: true))
        event("workers report to \(channel.endpoint)")
    }

    /// Stops the channel and removes `launcher.address` (workers look for the next launcher's).
    func closeWorkerChannel() {
        guard let channel = workerChannel else { return }
        channel.stop()
        workerChannel = nil
        let directory = URL(fileURLWithPath: plan.studyDirectory, isDirectory: true)
        if LauncherAddress.read(fromDirectory: directory)?.pid == Int(ProcessInfo.processInfo.processIdentifier) {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(LauncherAddress.fileName))
        }
    }

    /// Waits until a job may have changed (the adapter says) or a worker reported, `seconds` at most.
    func waitForChange(atMost seconds: Double) async {
        guard let channel = workerChannel else {
            await adapter.waitForChange(atMost: seconds)
            return
        }
        let adapter = adapter
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let once = ResumeOnce(continuation)
            Task {
                await adapter.waitForChange(atMost: seconds)
                once.resume()
            }
            Task {
                await channel.waitForMessage(atMost: seconds)
                once.resume()
            }
        }
    }

    // MARK: Submitting

    /// Workers to keep: as many as the window allows and the work left needs (the simulations waiting, plus those
    /// in a worker now).
    func fillWorkers() async throws {
        guard let spec = plan.workers else { return }
        let waiting = queue.count(where: isChosen)
        let inWorkers = tracked.values.count { $0.isRun && $0.isActive }
        let wanted = min(window, spec.count, waiting + inWorkers)
        var live = workers.values.count(where: \.isLive)
        while live < wanted {
            try await submitWorker()
            live += 1
        }
    }

    private func submitWorker() async throws {
        let number = nextWorkerNumber
        guard var request = adapter.workerRequest(number, of: plan) else { return }
        nextWorkerNumber += 1
        request.environment["MELISSA_WORKER_HEARTBEAT"] = String(options.heartbeatInterval)
        // Half the launcher's grace: a worker stopped with its job still has time to stop its simulation.
        request.environment["MELISSA_WORKER_GRACE"] = String(max(0.5, options.gracePeriod / 2))
        let id = try await adapter.submit(request)
        for job in try journal.recordSubmission(request, as: id) {
            var entry = TrackedJob(id: job.schedulerID, rowID: job.rowID, simulationID: nil, attempt: 0)
            entry.worker = number
            tracked[job.schedulerID] = entry
        }
        workers[number] = WorkerRecord(number: number, job: id, watchedSince: Date())
        await recordProcessGroup(of: id)
        event("submitted worker \(number) as job \(id)")
    }

    /// Hands the next simulation of the queue to `record`'s worker as a new run: recorded in the journal (a
    /// submission of `scripts/simulation.sh <id>`, as the local scheduler runs it, under the run's id) before the
    /// worker hears of it.
    private func assign(_ simulation: Int, to record: inout WorkerRecord) throws -> WorkerDirective {
        let attempt = simulations[simulation, default: SimulationRecord()].nextAttempt
        record.highestRun += 1
        let id = record.job.run(record.highestRun)
        let request = SubmissionRequest.localSimulation(simulation, of: plan, attempt: attempt)
        for job in try journal.recordSubmission(request, as: id, worker: record.number) {
            var entry = TrackedJob(id: job.schedulerID, rowID: job.rowID, simulationID: simulation, attempt: attempt)
            entry.worker = record.number
            tracked[job.schedulerID] = entry
        }
        simulations[simulation, default: SimulationRecord()].nextAttempt = attempt + 1
        record.assigned = id
        event("simulation \(simulation) (attempt \(attempt)) goes to worker \(record.number) as run \(id)")
        return runDirective(id, simulation: simulation, attempt: attempt, request: request)
    }

    private func runDirective(_ id: JobID, simulation: Int, attempt: Int, request: SubmissionRequest)
        -> WorkerDirective
    {
        WorkerDirective(
            .run, run: id.run, simulation: simulation, attempt: attempt, environment: request.jobEnvironment,
            timeLimit: request.timeLimitSeconds.map(Double.init), heartbeat: options.heartbeatInterval)
    }

    // MARK: Serving reports

    /// Every report received since the last poll, in order: each updates its worker's record and its runs (into the
    /// journal and the recovery policy, as a poll's statuses do) and gets its directive.
    func serveWorkers() async throws {
        guard let channel = workerChannel else { return }
        for incoming in channel.take() {
            guard let answer = try await serve(incoming) else { continue }
            channel.answer(incoming, with: answer)
        }
        let refused = workerRefusals.values.reduce(0, +)
        if refused > workerRefusalsRecorded {
            workerRefusalsRecorded = refused
            let reasons = workerRefusals.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
            record(
                kind: "worker-refused",
                "\(refused) worker report(s) refused so far (\(reasons.joined(separator: ", ")))")
            event("refused \(refused) worker report(s) so far (\(reasons.joined(separator: ", ")))")
        }
    }

    /// The answer to one message of the channel; nil for bytes that are no report at all (counted, unanswered).
    private func serve(_ incoming: WorkerChannel.Incoming) async throws -> [UInt8]? {
        let message: WorkerReportMessage
        do {
            message = try WorkerReportMessage.decode(incoming.message)
        } catch {
            workerRefusals[error.reason.rawValue, default: 0] += 1
            return nil
        }
        func refuse(_ reason: String, _ text: String) -> [UInt8] {
            workerRefusals[reason, default: 0] += 1
            return encode(WorkerDirective(.refuse, reason: text), sequence: message.sequence)
        }
        guard ConstantTime.equal(message.token, workerToken) else { return refuse("token", "wrong study token") }
        guard let report = try? JSONDecoder().decode(WorkerReport.self, from: Data(message.json)) else {
            return refuse("malformed", "a report this launcher cannot read")
        }
        let directive = try await handle(report)
        return encode(directive, sequence: message.sequence)
    }

    private func encode(_ directive: WorkerDirective, sequence: UInt64) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = Array((try? encoder.encode(directive)) ?? Data(#"{"do":"wait"}"#.utf8))
        return WorkerDirectiveMessage(sequence: sequence, json: json).encoded()
    }

    /// What a report changes, and the worker's directive.
    private func handle(_ report: WorkerReport) async throws -> WorkerDirective {
        guard var record = workers[report.worker] else {
            // Not a worker of this launcher's journal, or one given over already (declared dead, then heard again).
            return WorkerDirective(.exit, reason: "worker \(report.worker) is not one this launcher runs")
        }
        let now = Date()
        if record.lastHeard == nil {
            event("worker \(record.number) (job \(record.job)) reports from \(report.host), pid \(report.pid)")
        }
        record.lastHeard = now
        record.report = report
        workerStartFailures = 0
        if record.isGone {
            workers[record.number] = record
            return WorkerDirective(.exit, reason: "this launcher counts worker \(record.number) as gone")
        }
        // What ended: recorded, then acknowledged (never before: a launcher killed in between hears of it again).
        var acknowledged: [Int] = []
        for end in report.ended {
            let id = record.job.run(end.run)
            if tracked[id]?.isActive == true {
                try await runEnded(id, end, host: report.host, worker: record.number)
            }
            acknowledged.append(end.run)
            if record.assigned == id { record.assigned = nil }
            if record.running == id {
                record.running = nil
                record.runGroup = nil
            }
        }
        var directive: WorkerDirective
        if let current = report.current {
            let id = record.job.run(current.run)
            if record.assigned == id { record.assigned = nil }
            record.highestRun = max(record.highestRun, current.run)
            if let job = tracked[id], job.isActive {
                record.running = id
                record.runGroup = current.group.map { Int32(clamping: $0) }
                if job.state != .running {
                    try await recordRun(
                        JobStatus(
                            id: id, state: .running, word: "running in worker \(record.number) on \(report.host)",
                            nodeList: report.host))
                }
                if let group = record.runGroup, tracked[id]?.groupRecorded == false {
                    recordProcessGroup(ProcessGroup(id: group), of: id)
                }
                directive =
                    tracked[id]?.cancelReason == nil
                    ? WorkerDirective(.proceed) : WorkerDirective(.cancel, run: current.run)
            } else {
                // A run over for this launcher (given over, or none it knows of): it must stop.
                directive = WorkerDirective(.cancel, run: current.run)
            }
        } else {
            // A run this launcher handed out and believed running, which the worker neither runs nor ended, was lost
            // on the way (the worker started afresh).
            if let id = record.running, !acknowledged.contains(id.run ?? -1) {
                record.running = nil
                try await loseRun(id, "worker \(record.number) does not run it any more")
            }
            directive = try await claimed(report, &record)
        }
        directive.acknowledged = acknowledged
        directive.heartbeat = options.heartbeatInterval
        workers[record.number] = record
        return directive
    }

    /// The answer to an idle or leaving worker: its run again (the `run` directive was lost), the next simulation,
    /// `wait`, or `exit`.
    private func claimed(_ report: WorkerReport, _ record: inout WorkerRecord) async throws -> WorkerDirective {
        if let id = record.assigned, let job = tracked[id], job.isActive, let simulation = job.simulationID {
            guard report.state == .idle, job.cancelReason == nil else {
                // Never started: cancelled (as the launcher asked), or lost with a worker that leaves.
                record.assigned = nil
                if job.cancelReason != nil {
                    try await recordRun(
                        JobStatus(id: id, state: .cancelled(by: nil), word: "cancelled before its worker started it"))
                } else {
                    try await loseRun(id, "worker \(record.number) left before it started it")
                }
                return try await claimed(report, &record)
            }
            let request = SubmissionRequest.localSimulation(simulation, of: plan, attempt: job.attempt)
            return runDirective(id, simulation: simulation, attempt: job.attempt, request: request)
        }
        record.assigned = nil
        if report.state == .leaving {
            record.exiting = true
            return WorkerDirective(.exit, reason: "it is leaving")
        }
        if cancelRequested || serverLife.isDone {
            record.exiting = true
            return WorkerDirective(.exit, reason: "the study is ending")
        }
        if record.exiting { return WorkerDirective(.exit, reason: "it was told to leave") }
        // Simulations wait for the server to listen (and for a restarted one to listen again).
        if !plan.isOffline, serverLife.address == nil {
            return WorkerDirective(.wait, seconds: options.heartbeatInterval)
        }
        if workers.values.count(where: \.isLive) > window {
            record.exiting = true
            event("worker \(record.number) leaves: the window is \(window)")
            return WorkerDirective(.exit, reason: "the window shrank to \(window)")
        }
        if let index = queue.firstIndex(where: isChosen) {
            let simulation = queue.remove(at: index)
            return try assign(simulation, to: &record)
        }
        // An adaptive study's next batch comes as simulations finish.
        if plan.adaptive != nil, proposedBatches < plan.adaptiveBatchCount {
            return WorkerDirective(.wait, seconds: options.heartbeatInterval)
        }
        // Nothing left to hand out: a retry, if one comes, goes to the worker whose run failed, or to a new one.
        record.exiting = true
        event("worker \(record.number) leaves: no simulation is waiting")
        return WorkerDirective(.exit, reason: "no simulation is waiting")
    }

    // MARK: Runs

    /// A run's end, as its worker reported it.
    private func runEnded(_ id: JobID, _ end: WorkerReport.EndedRun, host: String, worker: Int) async throws {
        let exit = ExitStatus(code: end.exitCode, signal: end.signal)
        if end.stopped {
            try await loseRun(id, "stopped with worker \(worker) (\(SimulationWorker.describe(end)))")
            return
        }
        let state: JobState
        let word: String
        if end.cancelled {
            (state, word) = (.cancelled(by: nil), "cancelled in worker \(worker)")
        } else if end.timedOut {
            (state, word) = (.timedOut, "over its walltime in worker \(worker)")
        } else if let error = end.error {
            (state, word) = (
                .failed(exitCode: end.exitCode, signal: nil), "could not start in worker \(worker): \(error)"
            )
        } else if exit.isSuccess {
            (state, word) = (.completed, "exit 0 in worker \(worker)")
        } else if end.signal != 0 {
            (state, word) = (.failed(exitCode: 0, signal: end.signal), "signal \(end.signal) in worker \(worker)")
        } else {
            (state, word) = (.failed(exitCode: end.exitCode, signal: nil), "exit \(end.exitCode) in worker \(worker)")
        }
        try await recordRun(JobStatus(id: id, state: state, word: word, exitStatus: exit, nodeList: host))
    }

    /// Records a run's new state in the journal and acts on it, as a poll does for a job's.
    private func recordRun(_ status: JobStatus) async throws {
        guard let job = tracked[status.id], job.isActive else { return }
        for change in try journal.record([status]) {
            event(
                "run \(change.job.schedulerID) \(Self.who(change.job.simulationID)): \(change.from.code) -> "
                    + change.job.state.code + (change.job.word.map { " (\($0))" } ?? ""))
        }
        var entry = job
        if status.state == .running, entry.runningSince == nil { entry.runningSince = Date() }
        entry.state = status.state
        entry.nodeList = status.nodeList ?? entry.nodeList
        tracked[status.id] = entry
        try await simulationChanged(entry, lost: false)
    }

    /// A run lost with its worker (the worker's job ended, it fell silent, or it was stopped): resubmitted without
    /// spending the budget, unless the server has the simulation finished (it ended while nobody heard of it).
    func loseRun(_ id: JobID, _ reason: String) async throws {
        guard var job = tracked[id], job.isActive, let simulation = job.simulationID else { return }
        if serverLife.lastStatus?.finished.contains(simulation) == true {
            try await recordRun(JobStatus(id: id, state: .completed, word: "\(reason); the server has it finished"))
            return
        }
        let status = JobStatus(id: id, state: .vanished, word: reason)
        for change in try journal.record([status]) {
            event("run \(change.job.schedulerID) \(Self.who(simulation)): \(change.from.code) -> vanished (\(reason))")
        }
        job.state = .vanished
        job.isGivenOver = true
        tracked[id] = job
        try await simulationChanged(job, lost: true)
    }

    /// Cancels runs: one not started yet is over at once; a running one is stopped by its worker (its next report
    /// gets `cancel`), or over at once when its worker is gone.
    func cancelRuns(_ ids: [JobID]) async throws {
        for id in ids {
            guard let job = tracked[id], job.isActive, let number = job.worker else { continue }
            let record = workers[number]
            if record?.isGone != false || job.state != .running {
                if var record, record.assigned == id {
                    record.assigned = nil
                    workers[number] = record
                }
                try await recordRun(JobStatus(id: id, state: .cancelled(by: nil), word: "cancelled"))
            }
        }
    }

    // MARK: The end

    /// Once the server ended well: waits a little (twice the heartbeat, 2 s at least) for the runs still in flight to
    /// end by themselves (their simulations sent everything: reception is over), serving their workers' reports.
    func letRunsEnd() async throws {
        guard workerChannel != nil else { return }
        let deadline = Date().addingTimeInterval(max(2, 2 * options.heartbeatInterval))
        while Date() < deadline, tracked.values.contains(where: { $0.isRun && $0.isActive }) {
            await waitForChange(atMost: 0.2)
            try await serveWorkers()
        }
    }

    /// The server ended well, so reception was over: every simulation a worker still runs had all its data. Its run
    /// is recorded as completed before its worker is stopped.
    func completeRunsAtTheEnd() throws {
        for (id, job) in tracked.sorted(by: { $0.key < $1.key }) where job.isRun && job.isActive {
            guard let simulation = job.simulationID, !simulations[simulation, default: SimulationRecord()].isGivenUp
            else { continue }
            try journal.record([
                JobStatus(id: id, state: .completed, word: "its data was complete when the server ended; stopped")
            ])
            tracked[id]?.state = .completed
            simulations[simulation, default: SimulationRecord()].isCompleted = true
        }
    }

    // MARK: Worker jobs

    /// A worker job's state changed (from a poll): once it is over, the worker is gone and so is its run.
    func workerChanged(_ job: TrackedJob, lost: Bool) async throws {
        guard let number = job.worker, var record = workers[number], job.id == record.job else { return }
        guard job.state.isFinished || lost, !record.isGone else { return }
        record.isGone = true
        workers[number] = record
        if record.lastHeard == nil, !record.adopted, job.cancelReason == nil, !cancelRequested {
            workerStartFailures += 1
            if workerStartFailures >= 3 {
                throw LauncherError.workersDoNotStart(
                    count: workerStartFailures, logs: plan.logsDirectory, excerpt: workerLogExcerpt())
            }
        }
        let why = "worker \(number)'s job \(job.id) ended (\(job.state.code)) while it held this run"
        try await lose(record, why)
    }

    /// Declares silent workers dead (their job is cancelled) and gives over runs whose worker is gone.
    func checkWorkers() async throws {
        let limit = max(30, 6 * options.heartbeatInterval)
        let now = Date()
        for (number, worker) in workers.sorted(by: { $0.key < $1.key }) where !worker.isGone {
            guard let job = tracked[worker.job], job.state == .running else { continue }
            let since = worker.lastHeard ?? max(worker.watchedSince, job.runningSince ?? now)
            guard now.timeIntervalSince(since) > limit else { continue }
            workers[number]?.isGone = true
            tracked[worker.job]?.cancelReason = .stopping
            let message =
                "worker \(number) (job \(worker.job)) silent for \(Int(now.timeIntervalSince(since))) s: "
                + "cancelled, its simulation resubmitted"
            record(kind: "worker-silent", message)
            event(message)
            try await cancel([worker.job])
            try await lose(worker, "worker \(number) fell silent")
        }
        // A run whose worker is not (or no longer) watched: adopted from a journal whose worker was over.
        for (id, job) in tracked.sorted(by: { $0.key < $1.key }) where job.isRun && job.isActive {
            if job.worker.flatMap({ workers[$0] })?.isGone != false {
                try await loseRun(id, "its worker is gone")
            }
        }
    }

    /// Gives over the runs of a gone worker; locally, the group its run was reported with is torn down (a worker
    /// killed outright leaves its simulation, in a session of its own, running).
    private func lose(_ record: WorkerRecord, _ reason: String) async throws {
        if let group = record.runGroup, record.report?.host == ProcessInfo.processInfo.hostName {
            let grace = options.gracePeriod
            Task { await ProcessGroup(id: group).terminate(grace: grace) }
        }
        for id in record.runs where tracked[id]?.isActive == true {
            if tracked[id]?.cancelReason != nil {
                try await recordRun(JobStatus(id: id, state: .cancelled(by: nil), word: reason))
            } else {
                try await loseRun(id, reason)
            }
        }
        workers[record.number]?.assigned = nil
        workers[record.number]?.running = nil
    }

    /// The last lines of the newest worker error log.
    private func workerLogExcerpt() -> String {
        guard let name = plan.workers?.jobName,
            let path = LogExcerpt.newestFile(in: plan.logsDirectory, prefix: name + "-", suffix: ".err")
        else { return "" }
        return LogExcerpt.tail(ofFile: path, lines: 8).map { LogExcerpt.explained($0, file: path) } ?? ""
    }

    // MARK: Resuming

    /// A live worker job or run of an earlier launch: workers are watched as jobs and re-register by themselves; a
    /// run is watched through its worker.
    ///
    /// The journal lists a worker's job before its runs (it was submitted first); a run whose worker is not live
    /// any more is given over at the first poll (``checkWorkers()``).
    func adoptWorkerJob(_ job: JournalJob, entry: inout TrackedJob, highestRuns: [Int: Int]) {
        guard let number = job.worker else { return }
        entry.worker = number
        if job.isWorker {
            var record = WorkerRecord(number: number, job: job.schedulerID, watchedSince: Date())
            record.adopted = true
            record.highestRun = highestRuns[number] ?? 0
            workers[number] = record
        } else if job.isRun {
            entry.adoption = nil
            guard var record = workers[number] else {
                var gone = WorkerRecord(
                    number: number, job: job.schedulerID.worker ?? job.schedulerID, watchedSince: Date())
                gone.isGone = true
                workers[number] = gone
                return
            }
            record.running = job.schedulerID
            record.runGroup = job.processGroup
            workers[number] = record
        }
    }
}
