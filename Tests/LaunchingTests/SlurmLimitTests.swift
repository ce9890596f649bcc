import Foundation
import Launching
import Testing

/// Jobs over their walltime or their memory, for real, in the test cluster's `limits` partition. Slurm checks time
/// limits every 30 s, so a job with `--time=1` ends 60–90 s after it started: the tests of this suite run at the
/// same time (not serialized), beside the other suites.
@Suite("Slurm time and memory limits")
struct SlurmLimitTests {
    typealias Fault = SlurmFaultSupport

    @Test(
        "a job over its --time gets its --signal warning, then ends TIMEOUT",
        .enabled(if: SlurmFaultSupport.limitsEnabled, SlurmFaultSupport.noFaultNodes))
    func jobOverItsWalltime() async throws {
        let directory = try LaunchingTestSupport.temporaryDirectory("melissa-slurm-timeout")
        defer { try? FileManager.default.removeItem(at: directory) }
        let adapter = SlurmAdapter()
        let name = "lt-\(UUID().uuidString.prefix(8))"
        let start = Date()
        // The batch shell notes the warning and goes on: Slurm ends it at its walltime. (Warned 20 s before: Slurm
        // may send it up to 30 s early, and one sent before the script started would be lost.)
        let body = """
            trap 'echo "warned after $SECONDS s" >> warning' USR1
            while :; do sleep 1; done
            """
        try await SlurmAdapterClusterTests.withJobs(adapter) { track in
            let id = try await adapter.submit(
                try Fault.request(
                    body, name: name, partition: Fault.limitsPartition, in: directory, file: "slow.sh",
                    ["--time=1", "--signal=B:USR1@20"]))
            track(id)
            let statuses = try await SlurmAdapterClusterTests.pollUntilFinished(
                adapter, JobQuery(names: [name], since: start, expected: [id]), timeout: 300)
            #expect(statuses[id]?.state == .timedOut)
            #expect(statuses[id]?.word == "TIMEOUT")
            let warning = try String(contentsOf: directory.appendingPathComponent("warning"), encoding: .utf8)
            #expect(warning.hasPrefix("warned after "), "\(warning)")
        }
    }

    @Test(
        "a simulation over its walltime is warned, stopped and resubmitted without spending its retry budget",
        .enabled(if: SlurmFaultSupport.limitsEnabled, SlurmFaultSupport.noFaultNodes))
    func simulationOverItsWalltime() async throws {
        // A one-minute walltime, warned 20 s before; simulation 0's first attempt hangs. No retries at all: a retry
        // that spent the budget would give it up. (Slurm may send the warning up to its 30 s check period early; a
        // warning sent before the batch file started is lost, so the warning plus 30 s stays well under a minute.)
        let directory = try LauncherTestSupport.study(
            count: 2, arguments: "--hang 0:1", retries: 0, timeoutSeconds: 600, concurrency: 2,
            slurm: Fault.slurm(partition: Fault.limitsPartition, warningSeconds: 20), walltimeSeconds: 60,
            memoryMiB: 256)
        defer { LauncherTestSupport.killLeftovers(directory) }
        var options = LauncherTestSupport.options()
        options.pollInterval = 0.5
        let launcher = try Launcher(studyDirectory: directory, options: options)
        let task = Task { try await launcher.run() }
        let outcome: LaunchOutcome
        do {
            outcome = try await LauncherTestSupport.bounded(400) { try await task.value }
        } catch {
            task.cancel()
            await Fault.cancelLeftovers(directory)
            throw error
        }
        #expect(outcome == .completed(done: 2, givenUp: 0))
        let jobs = try launcher.journal.jobs(simulationID: 0)
        #expect(jobs.map(\.attempt) == [0, 1])
        // The batch file, warned, stopped the simulation and ended itself with SIGUSR1: FAILED 0:10.
        #expect(jobs.first?.state == .timedOut)
        #expect(jobs.first?.word == "FAILED")
        #expect(jobs.last?.state == .completed)
        #expect(try launcher.journal.retriesSpent()[0] == nil)
        #expect(
            try Fault.events(launcher.journal, .retry, simulation: 0) == ["attempt 1 after timed_out (not counted)"])
        #expect(try launcher.journal.jobs(simulationID: 1).map(\.state) == [.completed])
        // The warning reached the job: its batch file said so in its error log.
        let first = try #require(jobs.first?.schedulerID.description)
        let logs = URL(fileURLWithPath: launcher.plan.logsDirectory)
        let files = try FileManager.default.contentsOfDirectory(atPath: logs.path)
        let log = try #require(files.first { $0.hasSuffix("-\(first).err") }, "\(files)")
        let text = try String(contentsOf: logs.appendingPathComponent(log), encoding: .utf8)
        #expect(text.contains("melissa: walltime warning (SIGUSR1): stopping"), "\(text)")
    }

    @Test(
        "a job over its --mem ends OUT_OF_MEMORY, also when the step that ran out was started by srun",
        .enabled(if: SlurmFaultSupport.memoryEnabled, SlurmFaultSupport.noMemoryLimits))
    func jobsOverTheirMemory() async throws {
        let directory = try LaunchingTestSupport.temporaryDirectory("melissa-slurm-oom")
        defer { try? FileManager.default.removeItem(at: directory) }
        let adapter = SlurmAdapter()
        let name = "lt-\(UUID().uuidString.prefix(8))"
        let start = Date()
        let fill = "python3 -c 'x = bytearray(256 * 1024 * 1024); print(len(x))'"
        try await SlurmAdapterClusterTests.withJobs(adapter) { track in
            let batch = try await adapter.submit(
                try Fault.request(fill, name: name, partition: Fault.limitsPartition, in: directory, file: "b.sh"))
            track(batch)
            let step = try await adapter.submit(
                try Fault.request(
                    "srun " + fill, name: name, partition: Fault.limitsPartition, in: directory, file: "s.sh"))
            track(step)
            let statuses = try await SlurmAdapterClusterTests.pollUntilFinished(
                adapter, JobQuery(names: [name], since: start, expected: [batch, step]), timeout: 120)
            #expect(statuses[batch]?.state == .outOfMemory)
            #expect(statuses[batch]?.word == "OUT_OF_MEMORY")
            // The job itself only says FAILED; its step 0 ran out of memory.
            #expect(statuses[step]?.state == .outOfMemory)
            #expect(
                statuses[step]?.word.hasPrefix("FAILED (step 0: OUT_OF_MEMORY)") == true,
                "\(statuses[step]?.word ?? "")")
        }
    }

    @Test(
        "a simulation out of memory is resubmitted with twice the memory up to the cap, then spends its budget",
        .enabled(if: SlurmFaultSupport.memoryEnabled, SlurmFaultSupport.noMemoryLimits))
    func simulationsOverTheirMemory() async throws {
        // 64 MiB each, a cap of 256 MiB. Simulation 0 needs 140 MiB more than it starts with: 64 and 128 MiB are
        // too little, 256 is enough. Simulation 1 needs 400 MiB: out of memory at the cap too, it spends its one
        // retry there and is given up. (No redraws: parameters stay as they are.)
        let directory = try LauncherTestSupport.study(
            count: 2, arguments: "--hog 0:140 --hog 1:400", retries: 1, timeoutSeconds: 600, concurrency: 2,
            slurm: Fault.slurm(partition: Fault.limitsPartition), redrawAfter: 0, memoryMiB: 64)
        defer { LauncherTestSupport.killLeftovers(directory) }
        var options = LauncherTestSupport.options()
        options.pollInterval = 0.5
        options.memoryCapMiB = 256
        let launcher = try Launcher(studyDirectory: directory, options: options)
        let task = Task { try await launcher.run() }
        let outcome: LaunchOutcome
        do {
            outcome = try await LauncherTestSupport.bounded(300) { try await task.value }
        } catch {
            task.cancel()
            await Fault.cancelLeftovers(directory)
            throw error
        }
        #expect(outcome == .completed(done: 1, givenUp: 1))
        let journal = launcher.journal
        #expect(try journal.jobs(simulationID: 0).map(\.state) == [.outOfMemory, .outOfMemory, .completed])
        #expect(try journal.jobs(simulationID: 1).map(\.state) == Array(repeating: .outOfMemory, count: 4))
        #expect(try journal.retriesSpent() == [1: 1])
        for simulation in [0, 1] {
            #expect(
                try Fault.events(journal, .decision, simulation: simulation).filter { $0.hasPrefix("memory:") } == [
                    "memory: simulation \(simulation) gets 128 MiB after running out",
                    "memory: simulation \(simulation) gets 256 MiB after running out",
                ])
        }
        #expect(
            try Fault.events(journal, .retry, simulation: 1) == [
                "attempt 1 after out_of_memory (not counted)", "attempt 2 after out_of_memory (not counted)",
                "attempt 3 after out_of_memory",
            ])
        #expect(LauncherTestSupport.finishedRuns(directory) == ["0 2"])
    }
}
