import Foundation
import Launching
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `melissa launch`, `status` and `cancel` as separate processes, on the local scheduler, with the stand-in server
/// and simulations (`MelissaLaunchStandIn`).
@Suite("launch, status, cancel", .serialized)
struct LaunchCommandTests {
    /// A study file of `count` stand-in simulations of 6 steps, `delay` seconds each, in a new directory, planned
    /// (its server is the stand-in's) into `study/` beside it.
    static func studyFile(count: Int, delay: Double, window: Int = 2, workers: Bool = false) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("melissa-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let stub = try MelissaRun.mpirunStub(in: root)
        let standIn = MelissaRun.standIn
        let yaml = """
            study: {name: cli, output: study, seed: 3}
            parameters:
              x: {uniform: [0, 1]}
            sampler: {kind: monte-carlo, count: \(count)}
            simulation:
              command: "\(standIn.path) simulation --step-delay \(delay)"
              fields: [{name: f, size: 16}]
              time_steps: 6
            buffer: {policy: fifo, capacity: 1000, watermark: 1}
            execution:
              scheduler: local
              concurrency: {min: 1, max: \(window)}
              local: {mpirun: \(stub.path)}
            \(workers ? "  workers: {count: \(window), walltime: \"01:00:00\"}" : "")
            """
        let file = root.appendingPathComponent("study.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let planned = try MelissaRun.run(["plan", file.path, "--melissa", standIn.path])
        #expect(planned.status == 0, "\(planned.standardError)")
        return file
    }

    /// Starts `melissa` with `arguments`, its output going to `log`.
    static func start(_ arguments: [String], log: URL) throws -> Process {
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = MelissaRun.binary
        process.arguments = arguments
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    /// Waits for `process` at most `seconds`; kills it (and fails) past that.
    static func finish(_ process: Process, within seconds: Double) async -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        guard !process.isRunning else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }

    static func wait(_ seconds: Double, _ condition: () throws -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if (try? condition()) == true { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return (try? condition()) == true
    }

    static func killLeftovers(_ directory: URL) {
        guard let jobs = try? Journal(studyDirectory: directory.path).liveJobs() else { return }
        for job in jobs {
            if let group = job.processGroup { ProcessGroup(id: group).signal(SIGKILL) }
        }
    }

    @Test("status from another shell while it runs; a launcher killed with SIGKILL is resumed without rerunning")
    func killedAndResumed() async throws {
        // One simulation at a time (12 s each), so that the launcher is killed while some are still to run, however
        // slow the machine (the status and launch commands below take seconds each under the suite's load).
        let file = try Self.studyFile(count: 4, delay: 2, window: 1)
        let directory = file.deletingLastPathComponent().appendingPathComponent("study")
        defer { Self.killLeftovers(directory) }
        let fast = ["--poll", "0.1", "--heartbeat", "0.5"]
        let first = try Self.start(
            ["launch", directory.path] + fast, log: file.deletingLastPathComponent().appendingPathComponent("first.log")
        )
        let journalPath = directory.appendingPathComponent(Journal.fileName).path
        let oneDone = await Self.wait(90) {
            try FileManager.default.fileExists(atPath: journalPath)
                && (Journal(studyDirectory: directory.path).completedSimulations().count >= 1)
        }
        #expect(oneDone)

        let status = try await MelissaRun.run(["status", directory.path])
        #expect(status.status == 0)
        #expect(status.standardOutput.contains("simulations 4:"), "\(status.standardOutput)")
        #expect(status.standardOutput.contains("launcher    pid \(first.processIdentifier)"))
        #expect(status.standardOutput.contains("latest events:"))

        // A second launcher of the running study, even with --resume, is refused and names the first.
        let second = try await MelissaRun.run(["launch", directory.path, "--resume"])
        #expect(second.status == 1)
        #expect(second.standardError.contains("is running (pid \(first.processIdentifier)"), "\(second.standardError)")

        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()

        let refused = try await MelissaRun.run(["launch", directory.path])
        #expect(refused.status == 1)
        #expect(refused.standardError.contains("--resume"))

        let log = file.deletingLastPathComponent().appendingPathComponent("resume.log")
        let resumed = try Self.start(["launch", directory.path, "--resume"] + fast, log: log)
        let exit = await Self.finish(resumed, within: 180)
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(exit == 0, "\(output)")
        #expect(output.contains("resuming: adopted"))
        #expect(output.contains("study complete: 4 simulations done"))
        let journal = try Journal(studyDirectory: directory.path)
        for simulation in 0..<4 {
            #expect(try journal.jobs(simulationID: simulation).count { $0.state == .completed } == 1)
        }
        let runs = try String(contentsOf: directory.appendingPathComponent("standin-runs"), encoding: .utf8)
            .split(separator: "\n").map { $0.split(separator: " ")[0] }
        #expect(runs.sorted() == ["0", "1", "2", "3"])
    }

    @Test("a launcher killed once every simulation is done is resumed to the end, rerunning nothing")
    func killedAfterEverythingRan() async throws {
        let file = try Self.studyFile(count: 2, delay: 0.05)
        let directory = file.deletingLastPathComponent().appendingPathComponent("study")
        defer { Self.killLeftovers(directory) }
        let fast = ["--poll", "0.1", "--heartbeat", "0.5"]
        let first = try Self.start(
            ["launch", directory.path] + fast, log: file.deletingLastPathComponent().appendingPathComponent("first.log")
        )
        let journalPath = directory.appendingPathComponent(Journal.fileName).path
        let allDone = await Self.wait(180) {
            try FileManager.default.fileExists(atPath: journalPath)
                && (Journal(studyDirectory: directory.path).completedSimulations().count == 2)
        }
        #expect(allDone)
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        // The server dies too (or ends by itself): the resumed launcher restarts it from its checkpoint.
        Self.killLeftovers(directory)

        let log = file.deletingLastPathComponent().appendingPathComponent("resume.log")
        let second = try Self.start(["launch", directory.path, "--resume"] + fast, log: log)
        let exit = await Self.finish(second, within: 45)
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(exit == 0, "\(output)")
        #expect(output.contains("study complete: 2 simulations done"), "\(output)")
        let runs = try String(contentsOf: directory.appendingPathComponent("standin-runs"), encoding: .utf8)
            .split(separator: "\n").map { $0.split(separator: " ")[0] }
        #expect(runs.sorted() == ["0", "1"])
    }

    @Test("workers: melissa status shows what each runs; melissa cancel without a launcher stops workers and runs")
    func workersInStatusAndCancel() async throws {
        let file = try Self.studyFile(count: 6, delay: 2, workers: true)
        let directory = file.deletingLastPathComponent().appendingPathComponent("study")
        defer { Self.killLeftovers(directory) }
        let launcher = try Self.start(
            ["launch", directory.path, "--poll", "0.1", "--heartbeat", "0.5"],
            log: file.deletingLastPathComponent().appendingPathComponent("launch.log"))
        let journalPath = directory.appendingPathComponent(Journal.fileName).path
        let busy = await Self.wait(60) {
            try FileManager.default.fileExists(atPath: journalPath)
                && (Journal(studyDirectory: directory.path).workers().contains { $0.current?.state == .running })
        }
        #expect(busy)
        let status = try await MelissaRun.run(["status", directory.path])
        #expect(status.status == 0)
        #expect(status.standardOutput.contains("workers     "), "\(status.standardOutput)")
        #expect(status.standardOutput.contains(", running simulation "), "\(status.standardOutput)")
        let table = try await MelissaRun.run(["status", directory.path, "--json"])
        let document = try #require(
            try JSONSerialization.jsonObject(with: Data(table.standardOutput.utf8)) as? [String: Any])
        let workers = try #require(document["workers"] as? [[String: Any]])
        #expect(workers.contains { $0["state"] as? String == "running" && $0["simulation"] is Int }, "\(workers)")

        // The launcher dies outright; melissa cancel stops what it left: the worker jobs and what they run.
        kill(launcher.processIdentifier, SIGKILL)
        launcher.waitUntilExit()
        let live = try Journal(studyDirectory: directory.path).liveJobs()
        let groups = live.compactMap(\.processGroup)
        #expect(live.contains { $0.isRun } && live.contains { $0.isWorker })
        let cancel = try await MelissaRun.run(["cancel", directory.path, "--wait", "5"])
        #expect(cancel.status == 0, "\(cancel.standardError)")
        let journal = try Journal(studyDirectory: directory.path)
        #expect(try journal.liveJobs().isEmpty)
        #expect(groups.allSatisfy { !ProcessGroup(id: $0).isAlive }, "workers and simulations stopped")
    }

    @Test("melissa cancel stops the launcher and every job")
    func cancel() async throws {
        let file = try Self.studyFile(count: 4, delay: 2)
        let directory = file.deletingLastPathComponent().appendingPathComponent("study")
        defer { Self.killLeftovers(directory) }
        let launcher = try Self.start(
            ["launch", directory.path, "--poll", "0.1", "--heartbeat", "0.5"],
            log: file.deletingLastPathComponent().appendingPathComponent("launch.log"))
        let journalPath = directory.appendingPathComponent(Journal.fileName).path
        let running = await Self.wait(180) {
            try FileManager.default.fileExists(atPath: journalPath)
                && (Journal(studyDirectory: directory.path).summary().running >= 1)
        }
        #expect(running)
        let groups = try Journal(studyDirectory: directory.path).liveJobs().compactMap(\.processGroup)
        let cancel = try await MelissaRun.run(["cancel", directory.path, "--wait", "30"])
        #expect(cancel.status == 0, "\(cancel.standardError)")
        #expect(cancel.standardOutput.contains("the launcher stopped its jobs"))
        #expect(await Self.finish(launcher, within: 30) == 3)
        let journal = try Journal(studyDirectory: directory.path)
        #expect(try journal.liveJobs().isEmpty)
        #expect(!groups.isEmpty)
        #expect(groups.allSatisfy { !ProcessGroup(id: $0).isAlive })
        let status = try await MelissaRun.run(["status", directory.path])
        #expect(status.standardOutput.contains("cancel"))
    }
}
