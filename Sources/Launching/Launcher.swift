import Foundation
import PlanModel
import Planning
import WireProtocol

/// `melissa launch`: executes a plan and watches it until the server has trained on everything.
///
/// Submits the server, waits until it publishes `server.address`, then keeps at most the elastic window of
/// simulations in flight; polls every job of the study with one scheduler query per poll; pings the server every
/// T seconds (dead after 2T without a status); resubmits what fails according to ``RecoveryPolicy``; records every
/// submission, state change, retry and decision in the ``Journal``. A service: `run()` returns once the server
/// exited 0 (or the study was cancelled); cancelling its task stops the launcher and leaves the jobs running, to be
/// adopted by `melissa launch --resume`. Scheduler queries, ZeroMQ receives and process waits run off Swift's
/// cooperative pool (the adapters' threads, ``ServerControl``'s threads).
public actor Launcher {
    /// The name of the file `melissa cancel` creates in the study directory to stop the launcher.
    public static let cancelFileName = "cancel"

    /// The plan executed.
    public nonisolated let plan: Plan
    /// How it runs.
    public nonisolated let options: LauncherOptions
    /// The study's journal.
    public nonisolated let journal: Journal
    private let adapter: any SchedulerAdapter
    private let local: LocalAdapter?
    private let control: ServerControl
    private let report: @Sendable (LaunchReport) -> Void
    private let recovery: RecoveryPolicy
    private let elasticity: ElasticityPolicy
    private let planHash: String

    private var tracked: [JobID: TrackedJob] = [:]
    private var queue: [Int] = []
    private var nextAttempt: [Int: Int] = [:]
    private var memory: [Int: Int] = [:]
    private var excluded: [Int: [String]] = [:]
    private var spent: [Int: Int] = [:]
    private var free: [Int: Int] = [:]
    private var completed: Set<Int> = []
    private var givenUp: Set<Int> = []
    private var toldGivenUp: Set<Int> = []
    private var redraws = RedrawTable()
    private var redrawRefusalShown = false
    private var window: Int
    private var since = Date()
    private var serverJob: JobID?
    private var serverAttempt = 0
    private var serverRestarts = 0
    private var serverSubmittedAt = Date()
    private var address: ServerAddress?
    private var listenedAt = Date()
    private var lastPing = Date.distantPast
    private var lastStatusAt = Date.distantPast
    private var lastStatus: ServerStatus?
    private var arraysSubmitted = false
    private var queryFailures = 0
    private var cancelRequested = false
    private var serverDone = false
    /// The server was (re)started from its checkpoint and its first status has not been compared with the journal.
    private var reconcilePending = false
    /// This launch resumes an earlier one.
    private var resumed = false

    /// Opens the study in `studyDirectory` (its `plan.json`) and its journal.
    ///
    /// Throws ``LauncherError/alreadyLaunched(studyDirectory:launches:)`` when the study has a journal and
    /// `options.resume` is false.
    public init(
        studyDirectory: String, options: LauncherOptions = LauncherOptions(),
        report: @escaping @Sendable (LaunchReport) -> Void = { _ in }
    ) throws {
        let planPath = studyDirectory + "/plan.json"
        let data: Data
        let plan: Plan
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: planPath))
            plan = try PlanWriter.decode(data)
        } catch {
            throw LauncherError.noPlan(path: planPath, reason: String(describing: error))
        }
        let journalPath = studyDirectory + "/" + Journal.fileName
        if !options.resume, FileManager.default.fileExists(atPath: journalPath) {
            let launches = ((try? Journal(path: journalPath).study()) ?? nil)?.launches ?? 1
            throw LauncherError.alreadyLaunched(studyDirectory: studyDirectory, launches: launches)
        }
        self.plan = plan
        self.options = options
        self.journal = try Journal(path: journalPath)
        self.report = report
        self.control = try ServerControl()
        self.planHash = Self.hash(data)
        self.recovery = RecoveryPolicy(
            retries: plan.simulation.retries, freeRetries: options.freeRetries, memoryCapMiB: options.memoryCapMiB,
            planMemoryMiB: plan.simulation.resources.memoryMiB)
        self.elasticity = ElasticityPolicy(
            minimum: plan.concurrency.min, maximum: plan.concurrency.max, watermark: plan.server.buffer.watermark,
            capacity: plan.server.buffer.capacity)
        self.window = elasticity.maximum
        if plan.scheduler == .local {
            let first = (try journal.highestJobNumber()) + 1
            let local = LocalAdapter(
                options: LocalAdapterOptions(
                    concurrency: elasticity.maximum + 1, gracePeriod: options.gracePeriod, firstJobNumber: first,
                    outputDirectory: plan.logsDirectory))
            self.local = local
            self.adapter = local
        } else {
            self.local = nil
            self.adapter = SlurmAdapter(options: options.slurm)
        }
    }

    /// Asks the running launcher to cancel every job and stop (what the `cancel` file does from another process).
    public func requestCancel() {
        cancelRequested = true
    }

    /// Runs the study until the server exits 0, the study is cancelled, or the task is cancelled.
    public func run() async throws -> LaunchOutcome {
        try prepare()
        do {
            return try await loop()
        } catch is CancellationError {
            try? journal.recordDecision(
                kind: "detach", message: "the launcher stopped; its jobs go on (melissa launch --resume adopts them)")
            event("launcher stopped; jobs left running")
            return .detached
        }
    }

    // MARK: Start and resume

    private func prepare() throws {
        let cancelFile = plan.studyDirectory + "/" + Self.cancelFileName
        try? FileManager.default.removeItem(atPath: cancelFile)
        let existing = try journal.study()
        let study = try journal.begin(
            JournalStudy(
                name: plan.studyName, planHash: planHash, scheduler: plan.scheduler.rawValue,
                simulationCount: plan.simulations.count, startedAt: Date(),
                launcherPID: Int(ProcessInfo.processInfo.processIdentifier),
                launcherHost: ProcessInfo.processInfo.hostName))
        guard study.planHash == planHash else { throw LauncherError.planChanged(studyDirectory: plan.studyDirectory) }
        since = study.startedAt
        try restoreRedraws(fresh: existing == nil)
        completed = try journal.completedSimulations()
        givenUp = try journal.givenUpSimulations()
        spent = try journal.retriesSpent()
        for (simulation, attempt) in try journal.latestAttempts() { nextAttempt[simulation] = attempt + 1 }
        var adopted: Set<Int> = []
        if existing != nil {
            for job in try journal.liveJobs() {
                var entry = TrackedJob(
                    id: job.schedulerID, rowID: job.rowID, simulationID: job.simulationID, attempt: job.attempt,
                    state: job.state, nodeList: job.nodeList)
                entry.groupRecorded = job.processGroup != nil
                if plan.scheduler == .local {
                    // No process group recorded: judged by the server's view alone.
                    entry.adoptedGroup = job.processGroup ?? -1
                } else if job.schedulerID.arrayTask != nil {
                    entry.array = JobID(job: job.schedulerID.job)
                }
                tracked[job.schedulerID] = entry
                if let simulation = job.simulationID {
                    adopted.insert(simulation)
                } else {
                    serverJob = job.schedulerID
                    serverAttempt = job.attempt
                    serverSubmittedAt = job.submittedAt
                }
            }
            arraysSubmitted = true
            resumed = true
            let servers = try journal.jobs(simulationID: nil).count
            serverRestarts = servers - 1
            // A server that is not live any more is started again from its checkpoint, as a new attempt.
            if serverJob == nil { serverAttempt = servers }
            try journal.recordDecision(
                kind: "resume",
                message:
                    "launch \(study.launches): adopted \(tracked.count) live job(s); \(completed.count) simulation(s) "
                    + "done, \(givenUp.count) given up")
            event("resuming: adopted \(tracked.count) live job(s), \(completed.count) simulation(s) already done")
        }
        queue = plan.simulations.map(\.id).filter {
            !completed.contains($0) && !givenUp.contains($0) && !adopted.contains($0)
        }
        // A server given up in an earlier launch must hear about them again.
        toldGivenUp = []
    }

    // MARK: The loop

    private func loop() async throws -> LaunchOutcome {
        // On a resume the server restarts from its checkpoint (it starts afresh when there is none), and its first
        // status tells which completed simulations it lacks.
        if serverJob == nil { try await submitServer(restart: resumed) }
        while true {
            try Task.checkCancellation()
            if cancelRequested
                || FileManager.default.fileExists(atPath: plan.studyDirectory + "/" + Self.cancelFileName)
            {
                try await cancelEverything()
                return .cancelled
            }
            try await poll()
            try? journal.heartbeat()
            try await watchServer()
            if serverDone {
                try await stopLeftovers()
                try journal.recordDecision(
                    kind: "done",
                    message: "the server exited 0: \(completed.count) simulation(s) done, \(givenUp.count) given up")
                event("study complete: \(completed.count) done, \(givenUp.count) given up")
                report(.progress(progress()))
                return .completed(done: completed.count, givenUp: givenUp.count)
            }
            if address != nil { try await fillWindow() }
            report(.progress(progress()))
            try await Task.sleep(for: .seconds(options.pollInterval))
        }
    }

    private func progress() -> LaunchProgress {
        var running = 0
        var waiting = 0
        var inFlight: Set<Int> = []
        for job in tracked.values where !job.state.isFinished {
            guard let simulation = job.simulationID, !inFlight.contains(simulation) else { continue }
            inFlight.insert(simulation)
            if job.state == .running { running += 1 } else { waiting += 1 }
        }
        return LaunchProgress(
            simulations: plan.simulations.count, done: completed.count, running: running,
            pending: waiting + queue.count, failed: givenUp.count, window: window, server: lastStatus,
            serverListening: address != nil)
    }

    // MARK: Submitting

    private func submitServer(restart: Bool) async throws {
        try? FileManager.default.removeItem(atPath: plan.serverAddressFile)
        address = nil
        reconcilePending = restart
        let request = SubmissionRequest.server(of: plan, attempt: serverAttempt, restart: restart)
        let id = try await adapter.submit(request)
        let jobs = try journal.recordSubmission(request, as: id)
        for job in jobs {
            tracked[job.schedulerID] = TrackedJob(
                id: job.schedulerID, rowID: job.rowID, simulationID: nil, attempt: job.attempt)
        }
        serverJob = id
        serverSubmittedAt = Date()
        await recordLocalGroup(id)
        event("submitted the server as job \(id)" + (restart ? " (restart from its checkpoint)" : ""))
    }

    private func inFlightCount() -> Int {
        Set(tracked.values.filter { !$0.state.isFinished && $0.simulationID != nil }.compactMap(\.simulationID)).count
    }

    private func fillWindow() async throws {
        if plan.scheduler == .slurm, plan.packing != .jobs, !arraysSubmitted {
            arraysSubmitted = true
            try await submitArrays()
        }
        while inFlightCount() < window, !queue.isEmpty {
            let simulation = queue.removeFirst()
            try await submitSimulation(simulation)
        }
    }

    private func submitArrays() async throws {
        let fresh = Set(queue)
        for chunk in plan.scripts.arrays where (chunk.first..<(chunk.first + chunk.count)).allSatisfy(fresh.contains) {
            let request = SubmissionRequest.simulations(chunk, of: plan, throttle: window)
            let id = try await adapter.submit(request)
            for job in try journal.recordSubmission(request, as: id) {
                var entry = TrackedJob(
                    id: job.schedulerID, rowID: job.rowID, simulationID: job.simulationID, attempt: job.attempt)
                entry.array = id
                tracked[job.schedulerID] = entry
                if let simulation = job.simulationID { nextAttempt[simulation] = 1 }
            }
            queue.removeAll { $0 >= chunk.first && $0 < chunk.first + chunk.count }
            event("submitted simulations \(chunk.first)…\(chunk.first + chunk.count - 1) as array \(id) (%\(window))")
        }
    }

    private func submitSimulation(_ simulation: Int) async throws {
        let attempt = nextAttempt[simulation] ?? 0
        var request = SubmissionRequest.simulation(simulation, of: plan, attempt: attempt)
        request.memoryMiB = memory[simulation]
        request.excludedNodes = excluded[simulation] ?? []
        let id = try await adapter.submit(request)
        for job in try journal.recordSubmission(request, as: id) {
            var entry = TrackedJob(
                id: job.schedulerID, rowID: job.rowID, simulationID: simulation, attempt: attempt)
            entry.memoryMiB = request.memoryMiB
            entry.excludedNodes = request.excludedNodes
            tracked[job.schedulerID] = entry
        }
        nextAttempt[simulation] = attempt + 1
        await recordLocalGroup(id)
        event("submitted simulation \(simulation) (attempt \(attempt)) as job \(id)")
    }

    /// Records at once the process group of a local job that started (a launcher killed right after has it).
    private func recordLocalGroup(_ id: JobID) async {
        guard let local,
            let status = try? await local.query(JobQuery(names: [], since: since)).first(where: { $0.id == id }),
            let reason = status.reason, reason.hasPrefix("pgid "), let group = Int32(reason.dropFirst(5))
        else { return }
        try? journal.recordProcessGroup(group, of: id)
        tracked[id]?.groupRecorded = true
    }

    // MARK: Polling

    private func poll() async throws {
        let watched = tracked.values.filter { !$0.state.isFinished || $0.state == .preempted }
        let expected = watched.filter { $0.adoptedGroup == nil }.map(\.id)
        var statuses: [JobStatus] = []
        if !expected.isEmpty {
            do {
                statuses = try await adapter.query(
                    JobQuery(names: [plan.server.name, plan.simulationJobName], since: since, expected: expected))
                queryFailures = 0
            } catch {
                queryFailures += 1
                try? journal.recordDecision(kind: "query-failed", message: String(describing: error))
                if queryFailures >= options.queryFailureLimit {
                    throw LauncherError.schedulerUnreachable(String(describing: error))
                }
                return
            }
        }
        var server: ServerStatus?
        var asked = false
        for job in watched where job.adoptedGroup != nil {
            statuses.append(await adoptedStatus(job, server: &server, asked: &asked))
        }
        // Only the jobs still watched: a job over is over (a later report, e.g. accounting catching up on its steps,
        // must not make it fail a second time).
        let watchedIDs = Set(watched.map(\.id))
        statuses = statuses.filter { watchedIDs.contains($0.id) }
        for status in statuses {
            if let reason = status.reason, reason.hasPrefix("pgid "), let group = Int32(reason.dropFirst(5)),
                tracked[status.id]?.groupRecorded == false
            {
                try? journal.recordProcessGroup(group, of: status.id)
                tracked[status.id]?.groupRecorded = true
            }
        }
        let changes = try journal.record(statuses)
        for change in changes {
            event(
                "job \(change.job.schedulerID) \(Self.who(change.job.simulationID)): \(change.from.code) -> "
                    + change.job.state.code + (change.job.word.map { " (\($0))" } ?? ""))
        }
        for status in statuses {
            guard var job = tracked[status.id] else { continue }
            let changed = job.state != status.state
            job.state = status.state
            job.nodeList = status.nodeList ?? job.nodeList
            if status.state == .vanished || status.state == .preempted {
                job.oddPolls += 1
            } else {
                job.oddPolls = 0
            }
            tracked[status.id] = job
            let lost = (status.state == .vanished || status.state == .preempted) && job.oddPolls == 3
            guard changed || lost else { continue }
            if job.simulationID == nil {
                try await serverChanged(job, lost: lost)
            } else {
                try await simulationChanged(job, lost: lost)
            }
        }
    }

    /// The state of a local job a previous launcher started, from its process group and the server's view.
    private func adoptedStatus(_ job: TrackedJob, server: inout ServerStatus?, asked: inout Bool) async -> JobStatus {
        let group = job.adoptedGroup ?? -1
        if group > 0, ProcessGroup(id: group).isAlive {
            return JobStatus(id: job.id, state: .running, word: "running (adopted)")
        }
        // Ask the server (adopted too, perhaps not yet seen listening by this launcher) how the simulation ended;
        // once per poll.
        if !asked {
            asked = true
            if let address = address ?? ServerControl.address(inStudyDirectory: plan.studyDirectory),
                let status = try? await control.ping(address, timeout: 1)
            {
                lastStatus = status
                lastStatusAt = Date()
                server = status
            }
        }
        let known = server ?? lastStatus
        if let simulation = job.simulationID {
            if known?.finished.contains(simulation) == true {
                return JobStatus(id: job.id, state: .completed, word: "ended (the server has it finished)")
            }
            if group <= 0, known?.running.contains(simulation) == true {
                return JobStatus(id: job.id, state: .running, word: "running (no process group known)")
            }
            return JobStatus(id: job.id, state: .vanished, word: "gone (the server does not have it finished)")
        }
        if known?.receptionOver == true {
            return JobStatus(id: job.id, state: .completed, word: "ended after reception was over")
        }
        return JobStatus(id: job.id, state: .failed(exitCode: -1, signal: nil), word: "ended (adopted)")
    }

    private func simulationChanged(_ job: TrackedJob, lost: Bool) async throws {
        guard let simulation = job.simulationID else { return }
        if job.state == .completed {
            completed.insert(simulation)
            return
        }
        guard job.state.isFinished || lost else { return }
        if job.state == .preempted && !lost { return }
        if completed.contains(simulation) || givenUp.contains(simulation) || cancelRequested { return }
        let action = recovery.decide(
            job.state, cancelledFor: job.cancelReason, spent: spent[simulation, default: 0],
            free: free[simulation, default: 0], memoryMiB: job.memoryMiB, nodeList: job.nodeList)
        switch action {
        case .none:
            return
        case .giveUp:
            givenUp.insert(simulation)
            try journal.recordDecision(
                kind: Journal.giveUpKind,
                message: "simulation \(simulation) given up after \(spent[simulation, default: 0]) retries "
                    + "(last: \(job.state.code))",
                simulationID: simulation)
            event("gave up simulation \(simulation) after \(spent[simulation, default: 0]) retries")
            await tellGivenUp()
        case .retry(let spendsBudget, let memoryMiB, let node):
            let attempt = max(nextAttempt[simulation] ?? 0, job.attempt + 1)
            nextAttempt[simulation] = attempt
            var redrawn = false
            if spendsBudget {
                spent[simulation, default: 0] += 1
                redrawn = try redrawIfDue(simulation, attempt: attempt)
            } else {
                free[simulation, default: 0] += 1
            }
            if let memoryMiB, memoryMiB != job.memoryMiB {
                memory[simulation] = memoryMiB
                try journal.recordDecision(
                    kind: "memory", message: "simulation \(simulation) gets \(memoryMiB) MiB after running out",
                    simulationID: simulation)
            }
            if let node {
                excluded[simulation, default: []].append(node)
                try journal.recordDecision(
                    kind: "exclude-node", message: "simulation \(simulation) avoids \(node) after \(job.state.code)",
                    simulationID: simulation)
            }
            try journal.recordRetry(
                simulationID: simulation, attempt: attempt, cause: job.state, spendsBudget: spendsBudget,
                redrawn: redrawn, failedJob: job.rowID)
            event("simulation \(simulation) will be retried as attempt \(attempt) after \(job.state.code)")
            queue.insert(simulation, at: 0)
        }
    }

    /// After every `redraw_after` crashes a simulation's parameters are drawn anew from its role's sampler (the next
    /// point of the sequence, counted over the study's redraws of that role). `redraws.json` is written first (what
    /// the server reads when the attempt registers), then the command line the scripts run; a simulation that cannot
    /// be redrawn (points from a file or a grid) is retried with the same parameters, and the journal says why.
    private func redrawIfDue(_ simulation: Int, attempt: Int) throws -> Bool {
        let after = plan.simulation.redrawAfter
        guard after > 0, spent[simulation, default: 0] % after == 0, simulation < plan.simulations.count else {
            return false
        }
        let role = plan.simulations[simulation].role
        let draw = redraws.allEntries.count { plan.simulations[$0.simulation].role == role }
        let job: SimulationJob
        do {
            job = try plan.redraw(simulation: simulation, draw: draw)
        } catch {
            try journal.recordDecision(
                kind: "redraw", message: "\(error); simulation \(simulation) is retried with the same parameters",
                simulationID: simulation)
            if !redrawRefusalShown {
                redrawRefusalShown = true
                event("\(error); retrying with the same parameters")
            }
            return false
        }
        let previous = redraws
        redraws.add(RedrawTable.Entry(simulation: simulation, fromAttempt: attempt, values: job.values))
        do {
            try redraws.write(to: URL(fileURLWithPath: plan.studyDirectory, isDirectory: true))
            try plan.writeRedrawnCommand(job)
        } catch {
            redraws = previous
            throw error
        }
        let named = zip(plan.parameters, job.values).map { "\($0.name)=\($1)" }.joined(separator: " ")
        try journal.recordDecision(
            kind: "redraw",
            message: "simulation \(simulation) crashed \(spent[simulation, default: 0]) times: parameters redrawn "
                + "from attempt \(attempt): \(named)",
            simulationID: simulation)
        event("simulation \(simulation): parameters redrawn after \(spent[simulation, default: 0]) crashes (\(named))")
        return true
    }

    /// Reads `redraws.json` and writes each redrawn simulation's command line again from it (a launcher killed
    /// between the two writes leaves the table, which the server also reads, as the truth). A fresh launch starts
    /// from the plan's values: redraws left by an earlier study in the directory are removed.
    private func restoreRedraws(fresh: Bool) throws {
        let directory = URL(fileURLWithPath: plan.studyDirectory, isDirectory: true)
        if fresh {
            try? FileManager.default.removeItem(at: RedrawTable.url(in: directory))
            try? FileManager.default.removeItem(at: directory.appendingPathComponent("redrawn"))
        }
        redraws = try RedrawTable.read(from: directory, parameters: plan.parameters)
        for (simulation, entries) in redraws.entries {
            guard let latest = entries.last else { continue }
            try plan.writeRedrawnCommand(try plan.rendered(simulation: simulation, values: latest.values))
        }
    }

    private func tellGivenUp() async {
        guard let address else { return }
        for simulation in givenUp.subtracting(toldGivenUp).sorted() {
            if (try? await control.giveUp(simulation, at: address, timeout: max(2, options.heartbeatInterval))) != nil {
                toldGivenUp.insert(simulation)
            }
        }
    }

    // MARK: The server

    private func serverChanged(_ job: TrackedJob, lost: Bool) async throws {
        guard job.id == serverJob else { return }
        if job.state == .completed {
            serverDone = true
            return
        }
        guard job.state.isFinished || lost else { return }
        if job.cancelReason == .stopping { return }
        try await serverDied("its job ended: \(job.state.code)")
    }

    private func watchServer() async throws {
        guard !serverDone, let serverJob, let job = tracked[serverJob], !job.state.isFinished else { return }
        if address == nil {
            if let found = ServerControl.address(inStudyDirectory: plan.studyDirectory) {
                address = found
                listenedAt = Date()
                lastStatusAt = Date()
                lastPing = .distantPast
                try journal.recordDecision(kind: "listening", message: "the server listens at \(found.control)")
                event("the server listens (\(found.registration))")
                toldGivenUp = []
                await tellGivenUp()
            } else if Date().timeIntervalSince(serverSubmittedAt) > options.serverStartTimeout {
                throw LauncherError.serverDidNotListen(seconds: options.serverStartTimeout, logs: plan.logsDirectory)
            }
            return
        }
        guard let address, Date().timeIntervalSince(lastPing) >= options.heartbeatInterval else { return }
        lastPing = Date()
        do {
            let status = try await control.ping(address, timeout: max(1, min(options.heartbeatInterval, 3)))
            lastStatus = status
            lastStatusAt = Date()
            try await react(to: status)
        } catch {
            let quiet = Date().timeIntervalSince(lastStatusAt)
            if quiet >= 2 * options.heartbeatInterval {
                try await serverDied("no status for \(Int(quiet)) s")
            }
        }
    }

    private func react(to status: ServerStatus) async throws {
        if reconcilePending {
            reconcilePending = false
            try reconcile(with: status)
        }
        let timeout = Double(plan.simulation.timeoutSeconds)
        for (simulation, seconds) in status.silent.sorted(by: { $0.key < $1.key }) where seconds > timeout {
            for (id, job) in tracked
            where job.simulationID == simulation && !job.state.isFinished && job.cancelReason == nil {
                tracked[id]?.cancelReason = .silent
                try journal.recordDecision(
                    kind: "silent", message: "simulation \(simulation) silent for \(Int(seconds)) s: cancelled",
                    simulationID: simulation)
                event("simulation \(simulation) silent for \(Int(seconds)) s: cancelling job \(id)")
                try await cancel([id])
            }
        }
        if let change = elasticity.window(after: status, current: window) {
            window = change.window
            try journal.recordDecision(kind: "throttle", message: "window \(window): \(change.reason)")
            event("window \(window): \(change.reason)")
            try await applyWindow()
        }
    }

    /// After a restart from a checkpoint: a simulation that completed but whose steps the server does not all have
    /// (they arrived after its last checkpoint) runs again; the server drops the steps it already has.
    private func reconcile(with status: ServerStatus) throws {
        let finished = Set(status.finished)
        let inFlight = Set(tracked.values.filter { !$0.state.isFinished }.compactMap(\.simulationID))
        let lost = completed.subtracting(finished).subtracting(inFlight).subtracting(givenUp).sorted()
        guard !lost.isEmpty else { return }
        for simulation in lost {
            completed.remove(simulation)
            if !queue.contains(simulation) { queue.append(simulation) }
            try journal.recordDecision(
                kind: "data-lost",
                message:
                    "simulation \(simulation) completed, but the restarted server lacks some of its steps: running it again",
                simulationID: simulation)
        }
        event("the restarted server lacks steps of \(lost.count) completed simulation(s): running them again")
    }

    private func applyWindow() async throws {
        if let local, let serverJob {
            try await local.updateThrottle(of: serverJob, to: window + 1)
        }
        guard plan.scheduler == .slurm else { return }
        let arrays = Set(tracked.values.filter { !$0.state.isFinished }.compactMap(\.array))
        for array in arrays.sorted() {
            do {
                try await adapter.updateThrottle(of: array, to: window)
            } catch {
                try? journal.recordDecision(kind: "throttle-failed", message: "\(array): \(error)")
            }
        }
    }

    private func serverDied(_ reason: String) async throws {
        guard serverRestarts < options.serverRestarts else {
            throw LauncherError.serverKeepsDying(restarts: serverRestarts, reason: reason)
        }
        guard let serverJob, let job = tracked[serverJob] else { return }
        // A first server that ends before it ever listened is a broken set-up, not a crash (an adopted one, on a
        // resume, may have listened before this launcher started).
        if address == nil, serverRestarts == 0, job.state.isFinished, !resumed {
            throw LauncherError.serverEnded(state: job.state, logs: plan.logsDirectory)
        }
        serverRestarts += 1
        try journal.recordDecision(kind: "server-dead", message: "the server is dead (\(reason)): restarting it")
        event("the server is dead (\(reason)): restarting it from its checkpoint")
        if !job.state.isFinished {
            tracked[serverJob]?.cancelReason = .stopping
            try await cancel([serverJob])
        }
        let inFlight = tracked.values.filter { $0.simulationID != nil && !$0.state.isFinished }.map(\.id)
        for id in inFlight { tracked[id]?.cancelReason = .serverRestart }
        if !inFlight.isEmpty {
            try journal.recordDecision(
                kind: "server-dead", message: "cancelling \(inFlight.count) simulation job(s) in flight")
            try await cancel(inFlight)
        }
        serverAttempt += 1
        try journal.recordRetry(
            simulationID: nil, attempt: serverAttempt, cause: job.state, spendsBudget: true, failedJob: job.rowID)
        try await submitServer(restart: true)
    }

    // MARK: Stopping

    private func cancel(_ ids: [JobID]) async throws {
        var throughAdapter: [JobID] = []
        for id in ids {
            if let group = tracked[id]?.adoptedGroup {
                if group > 0 { await ProcessGroup(id: group).terminate(grace: options.gracePeriod) }
            } else {
                throughAdapter.append(id)
            }
        }
        if !throughAdapter.isEmpty { try await adapter.cancel(throughAdapter) }
    }

    private func stopLeftovers() async throws {
        let live = tracked.values.filter { !$0.state.isFinished }.map(\.id)
        for id in live { tracked[id]?.cancelReason = .stopping }
        if !live.isEmpty { try await cancel(live) }
        try await settle(live)
    }

    private func cancelEverything() async throws {
        cancelRequested = true
        let live = tracked.values.filter { !$0.state.isFinished }.map(\.id)
        for id in live { tracked[id]?.cancelReason = .stopping }
        try journal.recordDecision(kind: "cancel", message: "cancelling \(live.count) live job(s) on request")
        event("cancelling \(live.count) live job(s)")
        try await cancel(live)
        try await settle(live)
        try? FileManager.default.removeItem(atPath: plan.studyDirectory + "/" + Self.cancelFileName)
    }

    /// Polls until `jobs` are over (bounded by the grace period plus 30 s).
    private func settle(_ jobs: [JobID]) async throws {
        let deadline = Date().addingTimeInterval(options.gracePeriod + 30)
        while Date() < deadline, jobs.contains(where: { tracked[$0]?.state.isLive == true }) {
            try await poll()
            if jobs.contains(where: { tracked[$0]?.state.isLive == true }) {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    // MARK: Helpers

    private func event(_ message: String) {
        report(.event(message))
    }

    private static func who(_ simulation: Int?) -> String {
        simulation.map { "(simulation \($0))" } ?? "(server)"
    }

    /// FNV-1a (64 bits) of the plan's bytes, in hex: enough to notice a changed plan.
    static func hash(_ data: Data) -> String {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in data {
            value ^= UInt64(byte)
            value = value &* 0x100_0000_01b3
        }
        return String(value, radix: 16)
    }
}
