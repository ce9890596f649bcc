import Foundation
import Launching
import PlanModel
import Planning
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The launch loop on the local scheduler: real processes (the stand-in server and simulations), real ZeroMQ on
/// 127.0.0.1, the journal.
@Suite("Launcher", .serialized)
struct LauncherTests {
    typealias Support = LauncherTestSupport

    @Test("a study whose simulations all succeed completes, each simulation finished once")
    func allSucceed() async throws {
        let directory = try Support.study(count: 4)
        defer { Support.killLeftovers(directory) }
        let launcher = try Launcher(studyDirectory: directory, options: Support.options())
        let outcome = try await Support.bounded(60) { try await launcher.run() }
        #expect(outcome == .completed(done: 4, givenUp: 0))
        #expect(try launcher.journal.completedSimulations() == Set(0..<4))
        let runs = Support.finishedRuns(directory)
        #expect(runs.sorted() == ["0 0", "1 0", "2 0", "3 0"])
        let summary = try launcher.journal.summary()
        #expect(summary.done == 4 && summary.failed == 0 && summary.notSubmitted == 0)
        #expect(summary.server == .completed)
    }

    @Test("a simulation exiting 1 once is retried with the next attempt and completes")
    func retriedOnce() async throws {
        let directory = try Support.study(count: 3, arguments: "--fail 1:1", redrawAfter: 2)
        defer { Support.killLeftovers(directory) }
        let launcher = try Launcher(studyDirectory: directory, options: Support.options())
        let outcome = try await Support.bounded(60) { try await launcher.run() }
        #expect(outcome == .completed(done: 3, givenUp: 0))
        let jobs = try launcher.journal.jobs(simulationID: 1)
        #expect(jobs.map(\.attempt) == [0, 1])
        #expect(jobs.map(\.state) == [.failed(exitCode: 1, signal: nil), .completed])
        #expect(try launcher.journal.retriesSpent()[1] == 1)
        // No simulation finished twice.
        let runs = Support.finishedRuns(directory)
        #expect(runs.sorted() == ["0 0", "1 1", "2 0"])
        // One crash is fewer than redraw_after (2): nothing was redrawn.
        #expect(!FileManager.default.fileExists(atPath: directory + "/redraws.json"))
    }

    @Test("after redraw_after crashes a simulation runs again with the sampler's next point, and the server knows it")
    func redrawnAfterCrashes() async throws {
        // Simulation 1 crashes on attempts 0 and 1; redraw_after 2: attempt 2 runs with new values.
        let directory = try Support.study(
            count: 3, arguments: "--fail 1:2 --value {{x}}", retries: 3, redrawAfter: 2)
        defer { Support.killLeftovers(directory) }
        let plan = try PlanWriter.decode(Data(contentsOf: URL(fileURLWithPath: directory + "/plan.json")))
        let launcher = try Launcher(studyDirectory: directory, options: Support.options())
        let outcome = try await Support.bounded(60) { try await launcher.run() }
        #expect(outcome == .completed(done: 3, givenUp: 0))
        #expect(try launcher.journal.jobs(simulationID: 1).map(\.attempt) == [0, 1, 2])
        // The new values are the Monte Carlo sequence's next point (the plan drew points 0, 1, 2).
        let redrawn = try plan.redraw(simulation: 1, draw: 0).values
        #expect(redrawn != plan.simulations[1].values)
        let values = plan.simulations.map { $0.values[0].description }
        #expect(
            Support.finishedRuns(directory).sorted()
                == ["0 0 \(values[0])", "1 2 \(redrawn[0])", "2 0 \(values[2])"])
        // What the server reads to label the new attempt's samples.
        let table = try RedrawTable.read(
            from: URL(fileURLWithPath: directory, isDirectory: true), parameters: plan.parameters)
        #expect(table.allEntries == [RedrawTable.Entry(simulation: 1, fromAttempt: 2, values: redrawn)])
        let events = try launcher.journal.events(limit: 200).filter { $0.message.contains("parameters redrawn") }
        #expect(events.map(\.kind).sorted { $0.rawValue < $1.rawValue } == [.decision, .retry])
        #expect(events.contains { $0.kind == .retry && $0.message.hasPrefix("attempt 2 after failed") })
    }

    @Test("a simulation that always fails is given up after its retries and the study still ends")
    func givenUp() async throws {
        let directory = try Support.study(count: 3, arguments: "--fail 2:99", retries: 1)
        defer { Support.killLeftovers(directory) }
        let launcher = try Launcher(studyDirectory: directory, options: Support.options())
        let outcome = try await Support.bounded(60) { try await launcher.run() }
        #expect(outcome == .completed(done: 2, givenUp: 1))
        #expect(try launcher.journal.givenUpSimulations() == [2])
        #expect(try launcher.journal.jobs(simulationID: 2).count == 2)
        #expect(Support.finishedRuns(directory).sorted() == ["0 0", "1 0"])
    }

    @Test("a simulation silent longer than the timeout is cancelled and retried")
    func silentRetried() async throws {
        let directory = try Support.study(count: 2, arguments: "--hang 0:1", timeoutSeconds: 1)
        defer { Support.killLeftovers(directory) }
        let launcher = try Launcher(studyDirectory: directory, options: Support.options())
        let outcome = try await Support.bounded(60) { try await launcher.run() }
        #expect(outcome == .completed(done: 2, givenUp: 0))
        let jobs = try launcher.journal.jobs(simulationID: 0)
        #expect(jobs.count == 2)
        #expect(jobs.first?.state == .cancelled(by: nil))
        #expect(try launcher.journal.events(limit: 100).contains { $0.message.hasPrefix("silent:") })
    }

    @Test("a simulation over its walltime is resubmitted without spending its retry budget")
    func walltimeExceeded() async throws {
        // Simulation 0's first attempt stops sending and sleeps: its 3 s walltime ends it before its silence would.
        let directory = try Support.study(count: 2, arguments: "--hang 0:1", retries: 0, walltimeSeconds: 3)
        defer { Support.killLeftovers(directory) }
        let launcher = try Launcher(studyDirectory: directory, options: Support.options())
        let outcome = try await Support.bounded(60) { try await launcher.run() }
        #expect(outcome == .completed(done: 2, givenUp: 0))
        let jobs = try launcher.journal.jobs(simulationID: 0)
        #expect(jobs.map(\.state) == [.timedOut, .completed])
        #expect(try launcher.journal.retriesSpent().isEmpty, "a walltime is not a crash")
        #expect(Support.finishedRuns(directory).sorted() == ["0 1", "1 0"])
    }

    @Test("a simulation killed by a signal is retried and completes")
    func killedRetried() async throws {
        let directory = try Support.study(count: 2, arguments: "--hang 0:1", retries: 1)
        defer { Support.killLeftovers(directory) }
        let launcher = try Launcher(studyDirectory: directory, options: Support.options())
        let task = Task { try await launcher.run() }
        // Kill simulation 0's first attempt (its whole process group, as an OOM killer or an operator would).
        var group: Int32?
        let started = try await LaunchingTestSupport.wait(timeout: 30) {
            group = try launcher.journal.jobs(simulationID: 0).first?.processGroup
            return group != nil
        }
        #expect(started)
        try await Task.sleep(for: .milliseconds(500))
        if let group { ProcessGroup(id: group).signal(SIGKILL) }
        let outcome = try await Support.bounded(60) { try await task.value }
        #expect(outcome == .completed(done: 2, givenUp: 0))
        let jobs = try launcher.journal.jobs(simulationID: 0)
        #expect(jobs.count == 2)
        #expect(jobs.last?.state == .completed)
        #expect(try launcher.journal.retriesSpent()[0] == 1)
        #expect(Support.finishedRuns(directory).sorted() == ["0 1", "1 0"])
    }

    @Test("a launch on a study that has a journal is refused without --resume")
    func refusedWithoutResume() async throws {
        let directory = try Support.study(count: 1)
        defer { Support.killLeftovers(directory) }
        let launcher = try Launcher(studyDirectory: directory, options: Support.options())
        _ = try await Support.bounded(60) { try await launcher.run() }
        #expect {
            _ = try Launcher(studyDirectory: directory, options: Support.options())
        } throws: { error in
            (error as? LauncherError).map { "\($0)".contains("--resume") } ?? false
        }
    }

    @Test("the window shrinks while the buffer is full, grows while the trainer starves, and bounds submissions")
    func elasticWindow() async throws {
        // The stand-in server reports 4 samples buffered per simulation streaming (capacity 8, watermark 5): 2 or 3
        // streaming fill the buffer, 1 alone leaves the trainer starving.
        let directory = try Support.study(
            count: 12, arguments: "--step-delay 0.15", concurrency: 3, timeSteps: 8, capacity: 8, watermark: 5)
        defer { Support.killLeftovers(directory) }
        try "4\n".write(toFile: directory + "/standin-backlog", atomically: true, encoding: .utf8)
        let launcher = try Launcher(studyDirectory: directory, options: Support.options())
        let outcome = try await Support.bounded(120) { try await launcher.run() }
        #expect(outcome == .completed(done: 12, givenUp: 0))
        #expect(Support.finishedRuns(directory).count == 12)

        // The window's history, from the journal's decisions (oldest first); it starts at concurrency.max.
        let decisions = try launcher.journal.events(limit: 1000).reversed().filter {
            $0.kind == .decision && $0.message.hasPrefix("throttle: window ")
        }
        let changes = decisions.compactMap { event -> (at: Date, window: Int, full: Bool)? in
            let words = event.message.split(separator: " ")
            guard words.count > 2, let window = Int(words[2].dropLast()) else { return nil }
            return (event.at, window, event.message.contains("buffer full"))
        }
        #expect(changes.count == decisions.count)
        #expect(changes.allSatisfy { (1...3).contains($0.window) })
        let firstFull = try #require(changes.firstIndex { $0.full }, "the buffer never filled: \(decisions)")
        #expect(changes[firstFull].window == 2)
        #expect(changes.contains { $0.window == 1 }, "the window never reached concurrency.min: \(decisions)")
        #expect(changes[firstFull...].contains { !$0.full }, "the trainer never starved after: \(decisions)")

        // At every submission, the simulations already in flight were fewer than the window then in force.
        var jobs: [JournalJob] = []
        for simulation in 0..<12 { jobs += try launcher.journal.jobs(simulationID: simulation) }
        for job in jobs {
            let window = changes.last { $0.at <= job.submittedAt }?.window ?? 3
            let inFlight = jobs.count { other in
                other.rowID != job.rowID && other.submittedAt < job.submittedAt && other.updatedAt > job.submittedAt
            }
            #expect(inFlight < window, "simulation \(job.simulationID ?? -1) submitted with \(inFlight) in flight")
        }
    }

    @Test("a launcher stopped mid-way and resumed adopts the running jobs and never reruns a finished simulation")
    func resumeAfterStop() async throws {
        let directory = try Support.study(count: 4, arguments: "--step-delay 0.25", concurrency: 2)
        defer { Support.killLeftovers(directory) }
        let first = try Launcher(studyDirectory: directory, options: Support.options())
        let task = Task { try await first.run() }
        // Stop the launcher once a simulation has finished and others run.
        let progressed = try await LaunchingTestSupport.wait(timeout: 40) {
            try first.journal.completedSimulations().count >= 1
        }
        #expect(progressed)
        task.cancel()
        #expect(try await task.value == .detached)
        let live = try first.journal.liveJobs()
        #expect(!live.isEmpty)

        let second = try Launcher(studyDirectory: directory, options: Support.options(resume: true))
        let outcome = try await Support.bounded(60) { try await second.run() }
        #expect(outcome == .completed(done: 4, givenUp: 0))
        #expect(try second.journal.study()?.launches == 2)
        let runs = Support.finishedRuns(directory).map { $0.split(separator: " ")[0] }
        let events = try second.journal.events(limit: 60).map(\.message)
        #expect(runs.sorted() == ["0", "1", "2", "3"], "\(events)")
        // Every simulation completed exactly once in the journal.
        for simulation in 0..<4 {
            #expect(try second.journal.jobs(simulationID: simulation).count { $0.state == .completed } == 1)
        }
    }

    @Test("a killed server is restarted from its checkpoint and the simulations in flight are resubmitted")
    func serverRestarted() async throws {
        let directory = try Support.study(count: 4, arguments: "--step-delay 0.25", concurrency: 2)
        defer { Support.killLeftovers(directory) }
        let launcher = try Launcher(studyDirectory: directory, options: Support.options())
        let task = Task { try await launcher.run() }
        let progressed = try await LaunchingTestSupport.wait(timeout: 40) {
            try launcher.journal.completedSimulations().count >= 1
        }
        #expect(progressed)
        // The server process itself crashes (its job script sees it die).
        let address = try #require(ServerControl.address(inStudyDirectory: directory))
        kill(pid_t(address.pid), SIGKILL)
        let outcome = try await Support.bounded(60) { try await task.value }
        #expect(outcome == .completed(done: 4, givenUp: 0))
        let servers = try launcher.journal.jobs(simulationID: nil)
        #expect(servers.count == 2)
        #expect(servers.last?.state == .completed)
        #expect(try launcher.journal.events(limit: 200).contains { $0.message.hasPrefix("server-dead:") })
        // The resubmitted simulations did not spend their retry budget.
        #expect(try launcher.journal.retriesSpent().isEmpty)
    }

    @Test("a cancel request stops every job and is recorded")
    func cancelled() async throws {
        let directory = try Support.study(count: 4, arguments: "--step-delay 1", concurrency: 2)
        defer { Support.killLeftovers(directory) }
        let launcher = try Launcher(studyDirectory: directory, options: Support.options())
        let task = Task { try await launcher.run() }
        let running = try await LaunchingTestSupport.wait(timeout: 30) {
            try launcher.journal.summary().running >= 1
        }
        #expect(running)
        _ = FileManager.default.createFile(atPath: directory + "/" + Launcher.cancelFileName, contents: nil)
        let outcome = try await Support.bounded(40) { try await task.value }
        #expect(outcome == .cancelled)
        #expect(try launcher.journal.liveJobs().isEmpty)
        #expect(try launcher.journal.events(limit: 100).contains { $0.message.hasPrefix("cancel:") })
    }
}
