import Foundation
import Synchronization
import WireProtocol

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The simulation a worker runs: its process group (a session of its own, as a local job), its time limit, and
/// what the worker did to it (cancelled, killed at its walltime, stopped with the worker).
final class WorkerRun: Sendable {
    /// What the launcher handed out.
    let run: Int
    let simulation: Int
    let attempt: Int
    /// The simulation script's process group.
    let group: ProcessGroup
    let started: Date
    /// Seconds it may run (its walltime); nil: no limit.
    let timeLimit: Double?
    private let box: Box

    private final class Box: Sendable {
        let state = Mutex(State())
    }

    private struct State {
        var waitStatus: Int32?
        var cancelled = false
        var timedOut = false
        var stopped = false
        /// When SIGKILL follows the SIGTERM already sent.
        var killAt: Date?
    }

    /// Starts `script` with the simulation's id in a session of its own; `onExit` is called once it exited.
    init(
        run: Int, simulation: Int, attempt: Int, script: String, environment: [String: String],
        workingDirectory: String, outputFile: String?, timeLimit: Double?, onExit: @escaping @Sendable () -> Void
    ) throws {
        self.run = run
        self.simulation = simulation
        self.attempt = attempt
        self.timeLimit = timeLimit
        self.started = Date()
        let box = Box()
        self.box = box
        group = try ProcessGroup.spawn(
            executable: script, arguments: [String(simulation)], environment: environment,
            workingDirectory: workingDirectory, outputFile: outputFile
        ) { status in
            box.state.withLock { $0.waitStatus = status }
            onExit()
        }
    }

    /// Its leader's wait status once it exited.
    var waitStatus: Int32? { box.state.withLock { $0.waitStatus } }

    /// The run as a report shows it while it runs.
    var report: WorkerReport.Run {
        WorkerReport.Run(
            run: run, simulation: simulation, attempt: attempt, group: Int(group.id),
            seconds: Date().timeIntervalSince(started))
    }

    /// Stops it: SIGTERM to the whole group now (`warning`: SIGUSR1 to the script's group only, which its trap
    /// takes as the walltime warning), SIGKILL to what is left after `grace` seconds (``enforce(now:)``).
    func stop(
        grace: Double, cancelled: Bool = false, timedOut: Bool = false, stopped: Bool = false, warning: Bool = false
    ) {
        let first = box.state.withLock { state -> Bool in
            state.cancelled = state.cancelled || cancelled
            state.timedOut = state.timedOut || timedOut
            state.stopped = state.stopped || stopped
            guard state.killAt == nil else { return false }
            state.killAt = Date().addingTimeInterval(grace)
            return true
        }
        guard first else { return }
        if warning {
            kill(-group.id, SIGUSR1)
        } else {
            group.signal(SIGTERM)
        }
    }

    /// Kills it at its time limit, and with SIGKILL once the grace after a stop has passed.
    func enforce(now: Date, grace: Double) {
        if let timeLimit, now.timeIntervalSince(started) > timeLimit, waitStatus == nil {
            stop(grace: grace, timedOut: true)
        }
        let killAt = box.state.withLock { $0.killAt }
        if let killAt, now >= killAt, group.isAlive { group.signal(SIGKILL) }
    }

    /// How it ended, for the report; nil while it runs.
    func ended(error: String? = nil) -> WorkerReport.EndedRun? {
        let (status, flags) = box.state.withLock { ($0.waitStatus, $0) }
        guard let status else { return nil }
        let exit = ExitStatus(waitStatus: status)
        return WorkerReport.EndedRun(
            run: run, simulation: simulation, attempt: attempt, exitCode: exit.code, signal: exit.signal,
            cancelled: flags.cancelled, timedOut: flags.timedOut, stopped: flags.stopped,
            seconds: Date().timeIntervalSince(started), error: error)
    }

    /// Whatever its script left in its session goes too: SIGTERM now, SIGKILL after `grace` (on a thread of its
    /// own, so the worker goes on).
    func clearLeftovers(grace: Double) {
        guard group.isAlive else { return }
        let group = group
        let thread = Thread {
            group.signal(SIGTERM)
            let deadline = Date().addingTimeInterval(grace)
            while Date() < deadline, group.isAlive { Thread.sleep(forTimeInterval: 0.05) }
            if group.isAlive { group.signal(SIGKILL) }
        }
        thread.name = "melissa-worker-cleanup"
        thread.start()
    }
}
