import Foundation
import Launching
import MelissaTestSupport
import PlanModel
import Planning
import StudySpec
import Testing

/// Workers (`execution.workers`) on the real single-node Slurm of the tests (`scripts/slurm-test-cluster`): each
/// worker a batch job (the stand-in's `worker`, the real `SimulationWorker`) whose simulations start as `srun` steps
/// inside it; the faults of the local tests, for real.
@Suite("Launcher on Slurm: workers", .serialized)
struct LauncherSlurmWorkerTests {
    typealias Support = LauncherTestSupport

    static func study(count: Int, arguments: String, retries: Int = 2) throws -> String {
        try Support.study(
            count: count, arguments: arguments, retries: retries, concurrency: 2,
            slurm: LauncherSlurmTests.slurm(packing: .array), redrawAfter: 3,
            workers: WorkersSpec(count: 2, walltime: Walltime(seconds: 1800)))
    }

    static var options: LauncherOptions {
        var options = Support.options()
        options.pollInterval = 0.5
        return options
    }

    @Test("a simulation failing inside a Slurm worker is retried there or in the other one", .requiresSlurm)
    func simulationFailsInAWorker() async throws {
        let directory = try Self.study(count: 4, arguments: "--fail 1:1")
        let launcher = try Launcher(studyDirectory: directory, options: Self.options)
        let outcome = try await Support.bounded(180) { try await launcher.run() }
        #expect(outcome == .completed(done: 4, givenUp: 0))
        let jobs = try launcher.journal.jobs(simulationID: 1)
        #expect(jobs.map(\.state) == [.failed(exitCode: 1, signal: nil), .completed])
        #expect(jobs.allSatisfy { $0.isRun })
        #expect(try launcher.journal.retriesSpent()[1] == 1)
        #expect(Support.finishedRuns(directory).sorted() == ["0 0", "1 1", "2 0", "3 0"])
        let workers = try launcher.journal.workers()
        #expect(!workers.isEmpty && workers.count <= 4, "\(workers)")
        #expect(workers.allSatisfy { $0.job.state.isFinished })
        // The simulations ran as srun steps of their worker's job, each attempt with its own log.
        let log = try String(contentsOfFile: directory + "/logs/lt-sim-1.attempt-1.out", encoding: .utf8)
        #expect(log.contains("==== melissa: simulation 1, attempt 1"))
    }

    @Test("a Slurm worker killed mid-simulation: the job ends, its simulation is resubmitted free", .requiresSlurm)
    func workerKilledMidSimulation() async throws {
        let directory = try Self.study(count: 4, arguments: "--step-delay 1", retries: 0)
        let launcher = try Launcher(studyDirectory: directory, options: Self.options)
        let task = Task { try await launcher.run() }
        let busy = try #require(try await Self.busyWorker(launcher.journal))
        let simulation = try #require(busy.current?.simulationID)
        // SIGKILL to the batch shell, which is the worker (its script execs it): Slurm ends the job and its steps.
        _ = try await CommandRunner(timeout: 60).check([
            "scancel", "--signal=KILL", "--batch", busy.job.schedulerID.description,
        ])
        let outcome = try await Support.bounded(240) { try await task.value }
        #expect(outcome == .completed(done: 4, givenUp: 0))
        let jobs = try launcher.journal.jobs(simulationID: simulation)
        #expect(jobs.first?.state == .vanished, "\(jobs)")
        #expect(jobs.last?.state == .completed && jobs.last?.attempt == 1)
        #expect(try launcher.journal.retriesSpent().isEmpty)
        let killed = try launcher.journal.workers().first { $0.number == busy.number }
        #expect(
            killed?.job.state.isFinished == true && killed?.job.state != .completed, "\(String(describing: killed))")
        #expect(!Support.finishedRuns(directory).contains("\(simulation) 0"))
        #expect(Support.finishedRuns(directory).count == 4)
    }

    @Test("the launcher stopped and resumed while Slurm workers run: each simulation finishes once", .requiresSlurm)
    func launcherResumedWhileWorkersRun() async throws {
        let directory = try Self.study(count: 6, arguments: "--step-delay 0.5")
        let first = try Launcher(studyDirectory: directory, options: Self.options)
        let task = Task { try await first.run() }
        _ = try #require(try await Self.busyWorker(first.journal))
        task.cancel()
        #expect(try await task.value == .detached)
        let inFlight = try first.journal.liveJobs().filter(\.isRun)
        #expect(!inFlight.isEmpty)
        try await Task.sleep(for: .seconds(2))
        let second = try Launcher(studyDirectory: directory, options: Self.options.resuming)
        let outcome = try await Support.bounded(240) { try await second.run() }
        #expect(outcome == .completed(done: 6, givenUp: 0))
        let runs = Support.finishedRuns(directory).map { String($0.split(separator: " ")[0]) }
        #expect(runs.sorted() == (0..<6).map(String.init), "each simulation finished once: \(runs)")
        for simulation in 0..<6 {
            #expect(try second.journal.jobs(simulationID: simulation).count { $0.state == .completed } == 1)
        }
        let adopted = try second.journal.allJobs().filter { job in
            inFlight.contains { $0.rowID == job.rowID } && job.state == .completed
        }
        #expect(!adopted.isEmpty, "a run in flight at the stop ended under the resumed launcher: \(inFlight)")
        #expect(try second.journal.retriesSpent().isEmpty)
    }

    /// A worker running a simulation (reported running by its worker), once one does.
    static func busyWorker(_ journal: Journal) async throws -> JournalWorker? {
        var found: JournalWorker?
        _ = try await LaunchingTestSupport.wait(timeout: 120, interval: 0.2) {
            found = try journal.workers().first { $0.current?.state == .running }
            return found != nil
        }
        return found
    }
}

extension LauncherOptions {
    /// The same options, resuming.
    var resuming: LauncherOptions {
        var options = self
        options.resume = true
        return options
    }
}
