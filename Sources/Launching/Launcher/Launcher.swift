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
///
/// The launcher owns every job's record and the restart policy; the ``SchedulerAdapter`` only bridges how jobs are
/// submitted, polled and cancelled, and the ``ServerStatusSource`` how the server is asked. Its parts, by file:
/// `Launcher+Starting` (a fresh start or a resume), `Launcher+Submitting`, `Launcher+Polling`, `Launcher+Recovery`
/// (a simulation's fault, retry, redraw, giving up), `Launcher+Server` (heartbeat, elasticity, restarts) and
/// `Launcher+Stopping`.
public actor Launcher {
    /// The name of the file `melissa cancel` creates in the study directory to stop the launcher.
    public static let cancelFileName = "cancel"

    /// The plan executed.
    public nonisolated let plan: Plan
    /// How it runs.
    public nonisolated let options: LauncherOptions
    /// The study's journal.
    public nonisolated let journal: Journal
    let adapter: any SchedulerAdapter
    let server: any ServerStatusSource
    let report: @Sendable (LaunchReport) -> Void
    let recovery: RecoveryPolicy
    let elasticity: ElasticityPolicy
    let planHash: String
    /// The study's lock (`launcher.lock`), held from the launcher's creation until `run()` returns; nil for a
    /// launcher made from a plan in memory.
    let lock: StudyLock?

    /// Every job submitted or adopted, by scheduler id.
    var tracked: [JobID: TrackedJob] = [:]
    /// Simulations waiting for a slot in the window, first first.
    var queue: [Int] = []
    /// Each simulation's record, by id (an absent one is a ``SimulationRecord`` as it starts).
    var simulations: [Int: SimulationRecord] = [:]
    /// The server's job and state.
    var serverLife = ServerLifecycle()
    var redraws = RedrawTable()
    var redrawRefusalShown = false
    /// How many simulations may be in flight.
    var window: Int
    /// The study's first start (scheduler queries cover jobs since then).
    var since = Date()
    var arraysSubmitted = false
    var queryFailures = 0
    var cancelRequested = false
    var pauseRequested = false
    /// This launch resumes an earlier one.
    var resumed = false
    /// Adaptive batches proposed so far (docs/active-sampling.md).
    var proposedBatches = 0
    /// The job arrays already submitted, by their first simulation (an adaptive study submits one per batch).
    var submittedChunks: Set<Int> = []
    /// The worker channel, while a plan with workers runs (`execution.workers`, `Launcher+Workers`).
    var workerChannel: WorkerChannel?
    /// The study token, which every worker report must carry.
    var workerToken: [UInt8] = []
    /// Each worker's record, by number.
    var workers: [Int: WorkerRecord] = [:]
    /// The number the next worker gets.
    var nextWorkerNumber = 1
    /// Worker jobs this launcher submitted that ended, in a row, before they ever reported.
    var workerStartFailures = 0
    /// Worker reports refused, by reason (`token`, `malformed`…), and the total last recorded in the journal.
    var workerRefusals: [String: Int] = [:]
    var workerRefusalsRecorded = 0

    /// Executes `plan` with `adapter`, recording in `journal` and asking `server` how the training server does.
    ///
    /// - Parameters:
    ///   - planHash: what tells this plan from another across launches (a resume refuses a changed plan); by
    ///     default the hash of the plan as ``PlanWriter`` encodes it.
    public init(
        plan: Plan, journal: Journal, adapter: any SchedulerAdapter, server: any ServerStatusSource,
        options: LauncherOptions = LauncherOptions(), planHash: String? = nil, lock: StudyLock? = nil,
        report: @escaping @Sendable (LaunchReport) -> Void = { _ in }
    ) throws {
        self.lock = lock
        self.plan = plan
        self.options = options
        self.journal = journal
        self.adapter = adapter
        self.server = server
        self.report = report
        self.planHash = try planHash ?? Self.hash(PlanWriter.encode(plan))
        self.recovery = RecoveryPolicy(
            retries: plan.simulation.retries, freeRetries: options.freeRetries, memoryCapMiB: options.memoryCapMiB,
            planMemoryMiB: plan.simulation.resources.memoryMiB)
        self.elasticity = ElasticityPolicy(plan: plan)
        self.window = elasticity.maximum
    }

    /// Opens the study in `studyDirectory` (its `plan.json`) and its journal, with the adapter of the plan's
    /// scheduler (``SchedulerAdapterFactory``) and a ``ServerControl``.
    ///
    /// Takes the study's lock first: throws ``LauncherError/launcherRunning(studyDirectory:holder:)`` while another
    /// launcher of the study is alive. Throws ``LauncherError/alreadyLaunched(studyDirectory:launches:)`` when the
    /// study has a journal and `options.resume` is false, ``LauncherError/studyComplete(studyDirectory:ended:)``
    /// when `options.resume` asks to continue a study whose server finished.
    public init(
        studyDirectory: String, options: LauncherOptions = LauncherOptions(),
        report: @escaping @Sendable (LaunchReport) -> Void = { _ in }
    ) throws {
        let planPath = studyDirectory + "/plan.json"
        let data: Data
        let plan: Plan
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: planPath))
        } catch {
            throw LauncherError.noPlan(path: planPath, reason: FileProblem.describe(error, path: planPath))
        }
        do {
            plan = try PlanWriter.decode(data)
        } catch {
            throw LauncherError.noPlan(path: planPath, reason: String(describing: error))
        }
        let lock = try StudyLock(studyDirectory: studyDirectory)
        let journalPath = studyDirectory + "/" + Journal.fileName
        if !options.resume, FileManager.default.fileExists(atPath: journalPath) {
            // Only for the message: a journal that cannot be read counts as one launch.
            let launches = ((try? Journal(path: journalPath).study()) ?? nil)?.launches ?? 1
            throw LauncherError.alreadyLaunched(studyDirectory: studyDirectory, launches: launches)
        }
        let journal = try Journal(path: journalPath)
        if options.resume, let ended = try journal.ending() {
            throw LauncherError.studyComplete(studyDirectory: studyDirectory, ended: ended)
        }
        if let allocation = plan.allocation,
            let problem = SchedulerAdapterFactory.allocationProblem(
                of: plan, environment: ProcessInfo.processInfo.environment)
        {
            throw LauncherError.needsAllocation(
                script: plan.studyDirectory + "/" + allocation.script, reason: problem)
        }
        let server = try ServerControl()
        let adapter = SchedulerAdapterFactory.adapter(
            for: plan, options: options, firstJobNumber: try journal.highestJobNumber() + 1)
        try self.init(
            plan: plan, journal: journal, adapter: adapter, server: server, options: options,
            planHash: Self.hash(data), lock: lock, report: report)
    }

    /// Asks the running launcher to cancel every job and stop (what the `cancel` file does from another process).
    public func requestCancel() {
        cancelRequested = true
    }

    /// Asks the running launcher to pause the study at its next round: the server checkpoints (its job is stopped
    /// through its script), every job stops, and ``run()`` returns ``LaunchOutcome/paused``; the journal says the
    /// study is resumable. What the end of a study's Slurm allocation asks (`allocation: single`: its walltime
    /// warning, or a stop signal).
    public func requestPause() {
        pauseRequested = true
    }

    /// Runs the study until the server exits 0, the study is cancelled, or the task is cancelled.
    public func run() async throws -> LaunchOutcome {
        // The lock goes when this launcher stops, whatever the outcome (a detached launcher's jobs run on).
        defer {
            closeWorkerChannel()
            lock?.release()
        }
        try prepare()
        do {
            return try await loop()
        } catch is CancellationError {
            record(kind: "detach", "the launcher stopped; its jobs go on (melissa launch --resume adopts them)")
            event("launcher stopped; jobs left running")
            return .detached
        }
    }

    // MARK: The loop

    private func loop() async throws -> LaunchOutcome {
        // On a resume the server restarts from its checkpoint (it starts afresh when there is none), and its first
        // status tells which completed simulations it lacks.
        // An offline study has no server: its simulations write their data (docs/offline.md).
        if serverLife.job == nil, !plan.isOffline { try await submitServer(restart: resumed) }
        while true {
            try Task.checkCancellation()
            if cancelRequested
                || FileManager.default.fileExists(atPath: plan.studyDirectory + "/" + Self.cancelFileName)
            {
                try await cancelEverything()
                return .cancelled
            }
            if pauseRequested {
                try await pauseEverything()
                return .paused
            }
            try await poll()
            do {
                try journal.heartbeat()
            } catch {
                event("cannot record the launcher's heartbeat in the journal: \(error)")
            }
            if plan.isOffline {
                if queue.isEmpty, inFlightCount() == 0 {
                    // Idle workers are not needed any more.
                    if plan.workers != nil { try await stopLeftovers() }
                    let (done, givenUp) = (completedCount, givenUpCount)
                    try journal.recordDecision(
                        kind: Journal.doneKind,
                        message: "offline: every simulation ended: \(done) done, \(givenUp) given up")
                    event(
                        "simulations complete: \(done) done, \(givenUp) given up; data in \(plan.offlineDataDirectory)")
                    report(.progress(progress()))
                    return .completed(done: done, givenUp: givenUp)
                }
                try await fillWindow()
                report(.progress(progress()))
                await waitForChange(atMost: options.pollInterval)
                continue
            }
            try await watchServer()
            if serverLife.isDone {
                // Simulations and workers' runs that are ending get to say so before what is left is stopped.
                try await letSimulationsEnd()
                try await letRunsEnd()
                settleExitedAtTheEnd()
                try completeRunsAtTheEnd()
                try await stopLeftovers()
                let (done, givenUp) = (completedCount, givenUpCount)
                try journal.recordDecision(
                    kind: Journal.doneKind,
                    message: "the server exited 0: \(done) simulation(s) done, \(givenUp) given up")
                event("study complete: \(done) done, \(givenUp) given up")
                report(.progress(progress()))
                return .completed(done: done, givenUp: givenUp)
            }
            try proposeIfDue()
            // After a restart, only once its first status told what it already has.
            if serverLife.address != nil, !serverLife.awaitsReconcile { try await fillWindow() }
            report(.progress(progress()))
            // A finished local job ends the wait at once: the next simulation starts without waiting for a poll; so
            // does a worker's report.
            await waitForChange(atMost: options.pollInterval)
        }
    }

    private func progress() -> LaunchProgress {
        var running = 0
        var waiting = 0
        var inFlight: Set<Int> = []
        for job in tracked.values where job.isActive {
            guard let simulation = job.simulationID, !inFlight.contains(simulation) else { continue }
            inFlight.insert(simulation)
            if job.state == .running { running += 1 } else { waiting += 1 }
        }
        return LaunchProgress(
            simulations: plan.simulations.count, done: completedCount, running: running,
            pending: waiting + queue.count, failed: givenUpCount, window: window, server: serverLife.lastStatus,
            serverListening: serverLife.address != nil, offline: plan.isOffline)
    }

    // MARK: Helpers

    /// Simulations completed.
    var completedCount: Int { simulations.values.count(where: \.isCompleted) }

    /// Simulations given up.
    var givenUpCount: Int { simulations.values.count(where: \.isGivenUp) }

    /// The ids of the simulations whose record says `predicate`.
    func simulationIDs(where predicate: (SimulationRecord) -> Bool) -> Set<Int> {
        Set(simulations.filter { predicate($0.value) }.keys)
    }

    /// Records a decision that must not stop the launch: a journal that cannot take it is reported as an event.
    func record(kind: String, _ message: String, simulationID: Int? = nil) {
        do {
            try journal.recordDecision(kind: kind, message: message, simulationID: simulationID)
        } catch {
            event("cannot record a \(kind) decision in the journal (\(message)): \(error)")
        }
    }

    func event(_ message: String) {
        report(.event(message))
    }

    static func who(_ simulation: Int?) -> String {
        simulation.map { "(simulation \($0))" } ?? "(server)"
    }

    static func who(_ job: JournalJob) -> String {
        job.isWorker ? "(worker \(job.worker ?? 0))" : who(job.simulationID)
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
