import Foundation
import Launching
import PlanModel
import Planning
import StudySpec
import Synchronization
import Testing
import Transport
import WireProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// Workers (`execution.workers`) on the local scheduler: real worker processes (the stand-in's `worker`, the real
/// `SimulationWorker`), the stand-in server and simulations, real ZeroMQ, the journal.
@Suite("Launcher: workers", .serialized)
struct LauncherWorkerTests {
    typealias Support = LauncherTestSupport

    @Test("two workers run six simulations end to end: no job per simulation, each simulation once")
    func workersRunTheStudy() async throws {
        let directory = try Support.study(
            count: 6, concurrency: 2, workers: WorkersSpec(count: 2, walltime: Walltime(seconds: 3600)))
        defer { Support.killLeftovers(directory) }
        let launcher = try Launcher(studyDirectory: directory, options: Support.options())
        let outcome = try await Support.bounded(90) { try await launcher.run() }
        #expect(outcome == .completed(done: 6, givenUp: 0))
        #expect(Support.finishedRuns(directory).sorted() == ["0 0", "1 0", "2 0", "3 0", "4 0", "5 0"])
        let jobs = try launcher.journal.allJobs()
        let workerJobs = jobs.filter(\.isWorker)
        let runs = jobs.filter(\.isRun)
        #expect(workerJobs.count == 2, "\(workerJobs)")
        #expect(runs.count == 6 && runs.allSatisfy { $0.state == .completed })
        // Every simulation ran inside a worker, under its worker job's id.
        #expect(Set(runs.compactMap { $0.schedulerID.worker }).isSubset(of: Set(workerJobs.map(\.schedulerID))))
        #expect(jobs.filter { $0.simulationID != nil }.allSatisfy { $0.isRun })
        let workers = try launcher.journal.workers()
        #expect(workers.map(\.number) == [1, 2])
        #expect(workers.map(\.runs).reduce(0, +) == 6)
        // Each attempt keeps its own log, with its banner.
        let log = try String(contentsOfFile: directory + "/logs/lt-sim-3.attempt-0.out", encoding: .utf8)
        #expect(log.contains("==== melissa: simulation 3, attempt 0"))
        #expect(!FileManager.default.fileExists(atPath: directory + "/" + LauncherAddress.fileName))
    }

    /// A study of `count` stand-in simulations in `workers` workers (whose walltime holds many simulations).
    static func study(count: Int, arguments: String = "", workers: Int = 2, retries: Int = 2, timeout: Int = 60)
        throws -> String
    {
        try Support.study(
            count: count, arguments: arguments, retries: retries, timeoutSeconds: timeout, concurrency: workers,
            redrawAfter: 3, workers: WorkersSpec(count: workers, walltime: Walltime(seconds: 3600)))
    }

    /// The journal's worker running a simulation now, once one does (its job's pid, the run's id, the simulation).
    static func busyWorker(_ journal: Journal, timeout: Double = 40) async throws -> JournalWorker? {
        var found: JournalWorker?
        _ = try await LaunchingTestSupport.wait(timeout: timeout) {
            found = try journal.workers().first {
                $0.current?.state == .running && $0.job.processGroup != nil && $0.current?.processGroup != nil
            }
            return found != nil
        }
        return found
    }

    @Test("a worker killed mid-simulation loses only that simulation: resubmitted without spending its budget")
    func workerKilledMidSimulation() async throws {
        let directory = try Self.study(count: 4, arguments: "--step-delay 0.4", retries: 0)
        defer { Support.killLeftovers(directory) }
        let launcher = try Launcher(studyDirectory: directory, options: Support.options())
        let task = Task { try await launcher.run() }
        let busy = try #require(try await Self.busyWorker(launcher.journal))
        let run = try #require(busy.current)
        let simulation = try #require(run.simulationID)
        // The worker process alone dies (an OOM killer, an operator): its simulation, in a session of its own, is
        // left behind, and the launcher must stop it.
        kill(try #require(busy.job.processGroup), SIGKILL)
        let outcome = try await Support.bounded(90) { try await task.value }
        #expect(outcome == .completed(done: 4, givenUp: 0))
        let jobs = try launcher.journal.jobs(simulationID: simulation)
        #expect(jobs.first?.schedulerID == run.schedulerID)
        #expect(jobs.first?.state == .vanished, "\(jobs)")
        #expect(jobs.last?.state == .completed && jobs.last?.attempt == 1)
        #expect(try launcher.journal.retriesSpent().isEmpty, "a dead worker is not the simulation's crash")
        // Retries: 0, yet it completed: the resubmission was free.
        #expect(try launcher.journal.givenUpSimulations().isEmpty)
        // The killed attempt never finished: its orphan was stopped.
        let finished = Support.finishedRuns(directory)
        #expect(finished.count == 4 && !finished.contains("\(simulation) 0"), "\(finished)")
        let workers = try launcher.journal.workers()
        #expect(workers.first { $0.number == busy.number }?.job.state.isFinished == true)
        #expect(try launcher.journal.liveJobs().isEmpty)
    }

    @Test("a simulation failing inside a worker is retried (on that worker or another), spending its budget")
    func simulationFailingInAWorker() async throws {
        let directory = try Self.study(count: 5, arguments: "--fail 1:1 --step-delay 0.05")
        defer { Support.killLeftovers(directory) }
        let launcher = try Launcher(studyDirectory: directory, options: Support.options())
        let outcome = try await Support.bounded(90) { try await launcher.run() }
        #expect(outcome == .completed(done: 5, givenUp: 0))
        let jobs = try launcher.journal.jobs(simulationID: 1)
        #expect(jobs.map(\.attempt) == [0, 1])
        #expect(jobs.map(\.state) == [.failed(exitCode: 1, signal: nil), .completed])
        #expect(jobs.allSatisfy { $0.isRun && $0.worker != nil })
        #expect(try launcher.journal.retriesSpent()[1] == 1)
        #expect(Support.finishedRuns(directory).sorted() == ["0 0", "1 1", "2 0", "3 0", "4 0"])
        // Its two attempts kept their own logs.
        for attempt in 0...1 {
            #expect(FileManager.default.fileExists(atPath: directory + "/logs/lt-sim-1.attempt-\(attempt).err"))
        }
    }

    @Test("a simulation silent inside a worker is cancelled through its worker and retried")
    func silentSimulationInAWorker() async throws {
        let directory = try Self.study(count: 3, arguments: "--hang 0:1", timeout: 1)
        defer { Support.killLeftovers(directory) }
        let launcher = try Launcher(studyDirectory: directory, options: Support.options())
        let outcome = try await Support.bounded(90) { try await launcher.run() }
        #expect(outcome == .completed(done: 3, givenUp: 0))
        let jobs = try launcher.journal.jobs(simulationID: 0)
        #expect(jobs.map(\.state) == [.cancelled(by: nil), .completed], "\(jobs)")
        #expect(try launcher.journal.events(limit: 200).contains { $0.message.hasPrefix("silent:") })
        #expect(try launcher.journal.retriesSpent()[0] == 1)
    }

    @Test("the launcher stopped and resumed while workers run: they report to the new one, each simulation once")
    func launcherResumedWhileWorkersRun() async throws {
        let directory = try Self.study(count: 8, arguments: "--step-delay 0.3")
        defer { Support.killLeftovers(directory) }
        let first = try Launcher(studyDirectory: directory, options: Support.options())
        let task = Task { try await first.run() }
        _ = try #require(try await Self.busyWorker(first.journal))
        let progressed = try await LaunchingTestSupport.wait(timeout: 60) {
            try first.journal.completedSimulations().count >= 1
        }
        #expect(progressed)
        task.cancel()
        #expect(try await task.value == .detached)
        let before = try first.journal.workers().filter { $0.job.state.isLive }
        #expect(!before.isEmpty, "the workers outlive the launcher")
        let inFlight = try first.journal.liveJobs().filter(\.isRun)
        // While no launcher runs, the workers finish what they run and wait.
        try await Task.sleep(for: .seconds(1))
        let second = try Launcher(studyDirectory: directory, options: Support.options(resume: true))
        let outcome = try await Support.bounded(120) { try await second.run() }
        #expect(outcome == .completed(done: 8, givenUp: 0))
        let runs = Support.finishedRuns(directory).map { String($0.split(separator: " ")[0]) }
        #expect(runs.sorted() == (0..<8).map(String.init), "each simulation finished once: \(runs)")
        for simulation in 0..<8 {
            #expect(try second.journal.jobs(simulationID: simulation).count { $0.state == .completed } == 1)
        }
        // The adopted workers went on: no worker job died, and the new launcher heard from the old ones.
        let workers = try second.journal.workers()
        #expect(workers.allSatisfy { $0.job.state == .completed || $0.job.state == .cancelled(by: nil) }, "\(workers)")
        // A run in flight when the launcher stopped ended under the new one, on the same journal row: not run again.
        let adopted = try second.journal.allJobs().filter { job in
            inFlight.contains { $0.rowID == job.rowID } && job.state == .completed
        }
        #expect(!adopted.isEmpty, "\(inFlight)")
        #expect(try second.journal.retriesSpent().isEmpty)
    }

    @Test("a report with a wrong study token is refused, answered as such and counted in the journal")
    func wrongTokenRefused() async throws {
        let directory = try Self.study(count: 3, arguments: "--step-delay 0.3")
        defer { Support.killLeftovers(directory) }
        let launcher = try Launcher(studyDirectory: directory, options: Support.options())
        let task = Task { try await launcher.run() }
        let listening = await LaunchingTestSupport.wait(timeout: 30) {
            LauncherAddress.read(fromDirectory: URL(fileURLWithPath: directory)) != nil
        }
        #expect(listening)
        let address = try #require(LauncherAddress.read(fromDirectory: URL(fileURLWithPath: directory)))
        let report = WorkerReport(worker: 1, pid: 1, host: "intruder", state: .idle)
        let json = Array(try JSONEncoder().encode(report))
        let wrong = WorkerReportMessage(token: Array(repeating: UInt8(ascii: "0"), count: 64), sequence: 7, json: json)
        let answer = try Self.exchange(wrong.encoded(), with: address.workers)
        let directive = try JSONDecoder().decode(
            WorkerDirective.self, from: Data(try WorkerDirectiveMessage.decode(try #require(answer)).json))
        #expect(directive.action == .refuse)
        #expect(directive.reason == "wrong study token")
        // Bytes that are no report at all get no answer, and are counted too.
        #expect(try Self.exchange([1, 2, 3], with: address.workers, timeout: 1) == nil)
        let outcome = try await Support.bounded(90) { try await task.value }
        #expect(outcome == .completed(done: 3, givenUp: 0))
        let refusals = try launcher.journal.decisions(kind: "worker-refused")
        #expect(refusals.last?.contains("token: 1") == true, "\(refusals)")
        #expect(refusals.last?.contains("2 worker report(s)") == true, "\(refusals)")
        // The intruder ran nothing: every run belongs to a worker the launcher submitted.
        #expect(try launcher.journal.allJobs().filter(\.isRun).allSatisfy { $0.worker != nil })
    }

    @Test("the window counts workers: as it shrinks, workers are told to leave; within a worker it changes nothing")
    func theWindowCountsWorkers() async throws {
        // As the local elasticity test: 4 samples buffered per simulation streaming (capacity 8, watermark 5), so 2 or
        // 3 streaming fill the buffer and 1 alone starves the trainer.
        let directory = try Support.study(
            count: 12, arguments: "--step-delay 0.15", concurrency: 3, timeSteps: 8, capacity: 8, watermark: 5,
            workers: WorkersSpec(count: 3, walltime: Walltime(seconds: 3600)))
        defer { Support.killLeftovers(directory) }
        try "4\n".write(toFile: directory + "/standin-backlog", atomically: true, encoding: .utf8)
        let events = Events()
        let launcher = try Launcher(studyDirectory: directory, options: Support.options()) { report in
            if case .event(let message) = report { events.append(message) }
        }
        let outcome = try await Support.bounded(120) { try await launcher.run() }
        #expect(outcome == .completed(done: 12, givenUp: 0))
        #expect(Support.finishedRuns(directory).count == 12)
        let windows = try launcher.journal.decisions(kind: "throttle")
        #expect(windows.contains { $0.hasPrefix("window 1") }, "\(windows)")
        let leaving = events.all.filter { $0.contains("leaves: the window is") }
        #expect(!leaving.isEmpty, "no worker was told to leave as the window shrank: \(windows)")
        // Never more worker jobs than the most the window allows.
        #expect(try launcher.journal.workers().count >= 3)
        let jobs = try launcher.journal.allJobs().filter(\.isWorker)
        for job in jobs {
            let overlapping = jobs.count { other in
                other.rowID != job.rowID && other.submittedAt <= job.submittedAt && other.updatedAt > job.submittedAt
            }
            #expect(overlapping < 3, "worker \(job.worker ?? 0) started with \(overlapping) others live")
        }
    }

    /// Events a launcher reported, kept across threads.
    final class Events: Sendable {
        private let lines = Mutex<[String]>([])
        func append(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    /// Sends `message` on a fresh DEALER to `endpoint` and returns the answer's last frame, nil after `timeout`.
    static func exchange(_ message: [UInt8], with endpoint: String, timeout: Double = 10) throws -> [UInt8]? {
        let context = try ZMQContext()
        defer { context.shutdown() }
        let socket = try Socket(context: context, type: .dealer)
        defer { socket.close() }
        try socket.setOption(.linger, 0)
        try socket.setOption(.receiveTimeout, Int32(timeout * 1000))
        try socket.connect(endpoint)
        try socket.send(message)
        return try socket.receiveFrames()?.frames.last
    }
}
