import Foundation
import PlanModel
import Synchronization
import WireProtocol

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `melissa worker`: one long-lived worker job of a study with `execution.workers` (docs/launching.md, "Workers").
///
/// It asks the launcher for a simulation over the worker channel (a `worker_report` carrying the study token,
/// docs/protocol.md), runs it exactly as a job of the local scheduler would (`scripts/simulation.sh <id>` in a
/// session of its own, `MELISSA_ATTEMPT` from the launcher, the attempt's own log), reports it while it runs and
/// once it ended, and asks again, until the launcher says `exit`. A report is always complete (what runs, every end
/// not yet acknowledged): a lost message, a launcher that restarts or a resumed one that never saw the earlier
/// reports change nothing. Without a launcher it finishes what it runs, keeps the end for the next one, and leaves
/// once none answered for ``Options/patience`` seconds while idle. SIGTERM or SIGINT (``requestStop(warning:)``)
/// stop the simulation (SIGTERM, then SIGKILL) and the worker; the warning before a Slurm job's walltime (SIGUSR1)
/// reaches the simulation's script as its own warning. A worker whose walltime has not room for another simulation
/// claims none and leaves.
///
/// ``run()`` blocks: call it on a thread of its own.
public final class SimulationWorker: Sendable {
    /// How a worker runs.
    public struct Options: Sendable {
        /// Its number (the argument of its job, `MELISSA_WORKER`).
        public var number: Int
        /// The study directory.
        public var studyDirectory: String
        /// Seconds between two reports while a simulation runs (the launcher's directives may change it).
        public var heartbeat: Double
        /// Seconds to wait for the launcher's answer to one report.
        public var answerTimeout: Double
        /// Seconds without any answer, while idle, after which the worker leaves (its launcher is gone for good).
        public var patience: Double
        /// Seconds between SIGTERM and SIGKILL when a simulation is stopped.
        public var gracePeriod: Double
        /// The worker job's walltime in seconds (`MELISSA_WORKER_WALLTIME`), when it has one.
        public var walltimeSeconds: Int?

        /// Creates options.
        public init(
            number: Int, studyDirectory: String, heartbeat: Double = 5, answerTimeout: Double = 5,
            patience: Double = 600, gracePeriod: Double = 5, walltimeSeconds: Int? = nil
        ) {
            self.number = number
            self.studyDirectory = studyDirectory
            self.heartbeat = heartbeat
            self.answerTimeout = answerTimeout
            self.patience = patience
            self.gracePeriod = gracePeriod
            self.walltimeSeconds = walltimeSeconds
        }
    }

    private struct Stop {
        var requested = false
        var warning = false
    }

    private let options: Options
    private let plan: Plan
    private let token: [UInt8]
    private let log: @Sendable (String) -> Void
    private let stop = Mutex(Stop())
    private let wakeup = DispatchSemaphore(value: 0)

    /// A worker of the study in `options.studyDirectory` (its `plan.json` and token); `log` gets what it does.
    public init(options: Options, log: @escaping @Sendable (String) -> Void = { print($0) }) throws {
        self.options = options
        self.log = log
        let planPath = options.studyDirectory + "/plan.json"
        guard let data = FileManager.default.contents(atPath: planPath) else {
            throw WorkerError.noPlan(path: planPath)
        }
        plan = try PlanWriter.decode(data)
        guard plan.workers != nil else { throw WorkerError.noWorkers(studyDirectory: options.studyDirectory) }
        do {
            token = Array(try String(contentsOfFile: plan.tokenFile, encoding: .utf8).filter { !$0.isWhitespace }.utf8)
        } catch {
            throw WorkerError.noToken(path: plan.tokenFile, reason: FileProblem.describe(error, path: plan.tokenFile))
        }
    }

    /// Stops the worker: the simulation it runs is stopped (with `warning`, as at a walltime warning) and it leaves.
    /// Safe from any thread (a signal handler's).
    public func requestStop(warning: Bool = false) {
        stop.withLock { stop in
            stop.requested = true
            stop.warning = stop.warning || warning
        }
        wakeup.signal()
    }

    /// Runs simulations until the launcher says `exit`, the worker is stopped, or no launcher answers for
    /// ``Options/patience`` seconds while it is idle. Returns the exit status: 0, or 1 when the launcher refused
    /// the worker (a wrong token).
    public func run() -> Int32 {
        let link: WorkerLink
        do {
            link = try WorkerLink(studyDirectory: options.studyDirectory)
        } catch {
            log("cannot open the worker channel: \(error)")
            return 1
        }
        var loop = Loop(options: options, plan: plan)
        say("started on \(loop.host) (pid \(getpid())), study \(plan.studyName)")
        while true {
            let now = Date()
            let stopping = stop.withLock { $0 }
            if stopping.requested, !loop.leaving {
                loop.leaving = true
                say(stopping.warning ? "walltime warning: stopping" : "stopped: leaving")
                loop.current?.stop(grace: options.gracePeriod, stopped: true, warning: stopping.warning)
                loop.nextReport = now
            }
            if let current = loop.current {
                current.enforce(now: now, grace: options.gracePeriod)
                if let end = current.ended() {
                    loop.ended.append(end)
                    current.clearLeftovers(grace: options.gracePeriod)
                    loop.current = nil
                    loop.nextReport = now
                    say(
                        "simulation \(end.simulation) (attempt \(end.attempt), run \(end.run)) ended: \(Self.describe(end))"
                    )
                }
            }
            if loop.current == nil, !loop.leaving, loop.tooLateForAnother(now: now) {
                loop.leaving = true
                say("too little of the walltime is left for another simulation: leaving")
            }
            if now >= loop.nextReport, let status = report(&loop, link: link, now: now) {
                return status
            }
            let pause = max(0.005, min(loop.nextReport.timeIntervalSinceNow, 0.2))
            _ = wakeup.wait(timeout: .now() + pause)
        }
    }

    /// One exchange with the launcher and what its directive says; the exit status once the worker is done.
    private func report(_ loop: inout Loop, link: WorkerLink, now: Date) -> Int32? {
        loop.sequence += 1
        let state: WorkerReport.State = loop.leaving ? .leaving : (loop.current == nil ? .idle : .running)
        let report = WorkerReport(
            worker: options.number, pid: Int(getpid()), host: loop.host,
            job: ProcessInfo.processInfo.environment["SLURM_JOB_ID"], state: state, runs: loop.runs,
            current: loop.current?.report, ended: loop.ended)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = Array((try? encoder.encode(report)) ?? Data("{}".utf8))
        let message = WorkerReportMessage(token: token, sequence: loop.sequence, json: json).encoded()
        // Leaving with nothing running: one short try, then go whatever the answer.
        let timeout = loop.leaving && loop.current == nil ? min(1, options.answerTimeout) : options.answerTimeout
        guard let directive = link.exchange(message, sequence: loop.sequence, timeout: timeout) else {
            if loop.leaving, loop.current == nil {
                say("leaving (no answer from the launcher)")
                return 0
            }
            if loop.current == nil, now.timeIntervalSince(loop.lastAnswer) > options.patience {
                let lost = loop.ended.isEmpty ? "" : "; \(loop.ended.count) end(s) the launcher never heard of"
                say("no launcher answered for \(Int(options.patience)) s: leaving\(lost)")
                return 0
            }
            loop.nextReport = Date().addingTimeInterval(min(loop.heartbeat, 1))
            return nil
        }
        loop.lastAnswer = Date()
        loop.ended.removeAll { directive.acknowledged.contains($0.run) }
        if let heartbeat = directive.heartbeat, heartbeat > 0 { loop.heartbeat = heartbeat }
        loop.nextReport = Date().addingTimeInterval(loop.heartbeat)
        switch directive.action {
        case .refuse:
            say("the launcher refused this worker: \(directive.reason ?? "no reason given")")
            if let current = loop.current {
                current.stop(grace: options.gracePeriod, stopped: true)
                while current.waitStatus == nil {
                    current.enforce(now: Date(), grace: options.gracePeriod)
                    Thread.sleep(forTimeInterval: 0.05)
                }
                current.clearLeftovers(grace: options.gracePeriod)
            }
            return 1
        case .exit:
            if let current = loop.current {
                current.stop(grace: options.gracePeriod, cancelled: true)
                loop.leaving = true
            } else if loop.ended.isEmpty {
                say("the launcher has no more work: leaving" + (directive.reason.map { " (\($0))" } ?? ""))
                return 0
            } else {
                loop.leaving = true
                loop.nextReport = Date()
            }
        case .run:
            start(directive, &loop)
        case .cancel:
            if let current = loop.current, current.run == directive.run {
                say("simulation \(current.simulation) (run \(current.run)) cancelled by the launcher")
                current.stop(grace: options.gracePeriod, cancelled: true)
            }
        case .wait:
            loop.nextReport = Date().addingTimeInterval(max(0.05, directive.seconds ?? loop.heartbeat))
        case .proceed:
            break
        }
        if loop.leaving, loop.current == nil, loop.ended.isEmpty {
            say("leaving")
            return 0
        }
        return nil
    }

    /// Starts the run a `run` directive hands out, unless it started already (the directive is repeated until a
    /// report shows the run).
    private func start(_ directive: WorkerDirective, _ loop: inout Loop) {
        guard loop.current == nil, !loop.leaving, let run = directive.run, let simulation = directive.simulation,
            !loop.started.contains(run)
        else { return }
        let attempt = directive.attempt ?? 0
        loop.started.insert(run)
        loop.runs += 1
        var environment = ProcessInfo.processInfo.environment
        for (name, value) in directive.environment ?? [:] where name.hasPrefix("MELISSA_") {
            environment[name] = value
        }
        environment["MELISSA_ATTEMPT"] = String(attempt)
        let script = plan.studyDirectory + "/" + (plan.scripts.simulations ?? "scripts/simulation.sh")
        // The simulation script's first lines (before it opens its attempt's log) go to the worker's own log.
        let output = Self.outputFile
        do {
            loop.current = try WorkerRun(
                run: run, simulation: simulation, attempt: attempt, script: script, environment: environment,
                workingDirectory: plan.studyDirectory, outputFile: output,
                timeLimit: directive.timeLimit ?? Double(plan.simulation.resources.walltime.seconds)
            ) { [wakeup] in wakeup.signal() }
            say("running simulation \(simulation) (attempt \(attempt)) as run \(run)")
        } catch {
            say("cannot start simulation \(simulation) (attempt \(attempt)): \(error)")
            loop.ended.append(
                WorkerReport.EndedRun(
                    run: run, simulation: simulation, attempt: attempt, exitCode: 127, error: String(describing: error))
            )
        }
        // Tell the launcher at once that it runs (or could not start).
        loop.nextReport = Date()
    }

    /// The file the worker's standard output goes to, when it is one (its log): nil for a terminal or a pipe.
    static var outputFile: String? {
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/1"),
            target.hasPrefix("/"), !target.hasPrefix("/dev/"), FileManager.default.fileExists(atPath: target)
        else { return nil }
        return target
    }

    private func say(_ message: String) {
        let formatter = ISO8601DateFormatter()
        log("\(formatter.string(from: Date())) melissa worker \(options.number): \(message)")
    }

    static func describe(_ end: WorkerReport.EndedRun) -> String {
        var words = end.signal != 0 ? "signal \(end.signal)" : "exit \(end.exitCode)"
        if end.cancelled { words += ", cancelled" }
        if end.timedOut { words += ", over its walltime" }
        if end.stopped { words += ", stopped with the worker" }
        if let error = end.error { words += ", \(error)" }
        return words + String(format: " after %.1f s", end.seconds)
    }

    /// What the worker's loop keeps between two rounds.
    private struct Loop {
        let options: Options
        let simulationWalltime: Double
        let host = ProcessInfo.processInfo.hostName
        let start = Date()
        var current: WorkerRun?
        var ended: [WorkerReport.EndedRun] = []
        var started: Set<Int> = []
        var runs = 0
        var heartbeat: Double
        var sequence: UInt64 = 0
        var nextReport = Date()
        var lastAnswer = Date()
        var leaving = false

        init(options: Options, plan: Plan) {
            self.options = options
            self.heartbeat = max(0.05, options.heartbeat)
            self.simulationWalltime = Double(plan.simulation.resources.walltime.seconds)
        }

        /// Whether the walltime left would not hold another simulation (a worker always runs its first).
        func tooLateForAnother(now: Date) -> Bool {
            guard runs > 0, let walltime = options.walltimeSeconds else { return false }
            return Double(walltime) - now.timeIntervalSince(start) < simulationWalltime
        }
    }
}

extension SimulationWorker.Options {
    /// The options of worker `number` (nil: `MELISSA_WORKER`) of the study in `studyDirectory`, from what its job's
    /// script exports: `MELISSA_WORKER_HEARTBEAT`, `MELISSA_WORKER_GRACE`, `MELISSA_WORKER_WALLTIME`; nil when no
    /// number is given either way.
    public init?(
        studyDirectory: String, number: Int? = nil, patience: Double = 600,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        guard let number = number ?? environment["MELISSA_WORKER"].flatMap({ Int($0) }) else { return nil }
        let heartbeat = environment["MELISSA_WORKER_HEARTBEAT"].flatMap(Double.init) ?? 5
        self.init(
            number: number, studyDirectory: studyDirectory, heartbeat: heartbeat,
            answerTimeout: max(2, min(5, 4 * heartbeat)), patience: patience,
            gracePeriod: environment["MELISSA_WORKER_GRACE"].flatMap(Double.init) ?? 5,
            walltimeSeconds: environment["MELISSA_WORKER_WALLTIME"].flatMap { Int($0) })
    }
}

extension SimulationWorker {
    /// Runs the worker (``run()``) with SIGTERM and SIGINT stopping it and SIGUSR1 stopping it as a walltime
    /// warning; returns its exit status.
    public func runHandlingSignals() -> Int32 {
        var sources: [any DispatchSourceSignal] = []
        for (number, warning) in [(SIGTERM, false), (SIGINT, false), (SIGUSR1, true)] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in requestStop(warning: warning) }
            source.resume()
            sources.append(source)
        }
        defer { for source in sources { source.cancel() } }
        return run()
    }
}
