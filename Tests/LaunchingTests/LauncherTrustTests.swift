import Foundation
import Launching
import PlanModel
import Planning
import StudySpec
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What a finished or resumed study says must be true (issue: outcomes a user can trust), on the local scheduler
/// with real processes: the stand-in server (a real ingest server over ZeroMQ) and simulations, killed by pid.
@Suite("Launcher: outcomes to trust", .serialized)
struct LauncherTrustTests {
    typealias Support = LauncherTestSupport

    /// A simulation command that runs `line` for simulation 0's first attempt and the stand-in otherwise.
    static func wrapper(firstAttemptOfSimulation0 line: String) throws -> String {
        let root = try LaunchingTestSupport.temporaryDirectory("melissa-wrapper")
        let body = """
            if [ "$MELISSA_SIMULATION_ID-$MELISSA_ATTEMPT" = 0-0 ]; then \(line); fi
            exec \(Support.standIn) simulation
            """
        return try LaunchingTestSupport.script(body, in: root, name: "simulation")
    }

    @Test("a second launcher of a running study is refused, naming the first; once it stopped, a resume goes on")
    func oneLauncherPerStudy() async throws {
        let directory = try Support.study(count: 3, arguments: "--step-delay 0.25", concurrency: 1)
        defer { Support.killLeftovers(directory) }
        let first = try Launcher(studyDirectory: directory, options: Support.options())
        let task = Task { try await first.run() }
        let started = try await LaunchingTestSupport.wait(timeout: 40) { try first.journal.liveJobs().count >= 2 }
        #expect(started)
        #expect {
            _ = try Launcher(studyDirectory: directory, options: Support.options(resume: true))
        } throws: { error in
            guard case .launcherRunning(_, let holder) = error as? LauncherError else { return false }
            return holder.pid == Int(getpid()) && "\(error)".contains("is running")
        }
        #expect(StudyLock.holder(ofStudy: directory)?.pid == Int(getpid()))
        task.cancel()
        #expect(try await task.value == .detached)
        #expect(StudyLock.holder(ofStudy: directory) == nil, "the lock goes with the launcher")
        let second = try Launcher(studyDirectory: directory, options: Support.options(resume: true))
        let outcome = try await Support.bounded(60) { try await second.run() }
        #expect(outcome == .completed(done: 3, givenUp: 0))
        // Each simulation finished once: nobody submitted it twice.
        #expect(Support.finishedRuns(directory).map { $0.split(separator: " ")[0] }.sorted() == ["0", "1", "2"])
    }

    @Test("--resume on a study whose server finished is refused: there is nothing to continue")
    func resumingACompleteStudyIsRefused() async throws {
        let directory = try Support.study(count: 2)
        defer { Support.killLeftovers(directory) }
        let launcher = try Launcher(studyDirectory: directory, options: Support.options())
        #expect(try await Support.bounded(60) { try await launcher.run() } == .completed(done: 2, givenUp: 0))
        #expect {
            _ = try Launcher(studyDirectory: directory, options: Support.options(resume: true))
        } throws: { error in
            guard case .studyComplete = error as? LauncherError else { return false }
            return "\(error)".contains("nothing to resume")
        }
        #expect(try Journal(studyDirectory: directory).jobs(simulationID: nil).count == 1, "no server restarted")
    }

    @Test("simulations that died while the launcher was down are resubmitted by the resumed one, which ends")
    func aResumeWhoseAdoptedJobsDiedDoesNotHang() async throws {
        let directory = try Support.study(count: 4, arguments: "--step-delay 0.3", concurrency: 2)
        defer { Support.killLeftovers(directory) }
        let first = try Launcher(studyDirectory: directory, options: Support.options())
        let task = Task { try await first.run() }
        // Two simulations in flight, each with its process group recorded.
        let running = try await LaunchingTestSupport.wait(timeout: 40) {
            try first.journal.liveJobs().filter { $0.simulationID != nil && $0.processGroup != nil }.count == 2
        }
        #expect(running)
        task.cancel()
        #expect(try await task.value == .detached)
        // While no launcher runs, the simulations in flight die (killed by pid, as an OOM killer would).
        for job in try first.journal.liveJobs() where job.simulationID != nil {
            if let group = job.processGroup { ProcessGroup(id: group).signal(SIGKILL) }
        }
        let second = try Launcher(studyDirectory: directory, options: Support.options(resume: true))
        // Before the fix the dead adopted jobs filled the window for ever: this bound caught the hang.
        let outcome = try await Support.bounded(90) { try await second.run() }
        #expect(outcome == .completed(done: 4, givenUp: 0))
        #expect(try second.journal.summary().done == 4)
    }

    @Test("the server and the simulations killed with the launcher: the resumed one restarts the server and ends")
    func aResumeAfterTheServerDiedToo() async throws {
        let directory = try Support.study(count: 4, arguments: "--step-delay 0.3", concurrency: 2)
        defer { Support.killLeftovers(directory) }
        let first = try Launcher(studyDirectory: directory, options: Support.options())
        let task = Task { try await first.run() }
        let running = try await LaunchingTestSupport.wait(timeout: 40) {
            try first.journal.liveJobs().filter { $0.simulationID != nil && $0.processGroup != nil }.count == 2
        }
        #expect(running)
        task.cancel()
        #expect(try await task.value == .detached)
        // Everything dies at once: the server's process, then every job's process group.
        let address = try #require(ServerControl.address(inStudyDirectory: directory))
        kill(pid_t(address.pid), SIGKILL)
        for job in try first.journal.liveJobs() {
            if let group = job.processGroup { ProcessGroup(id: group).signal(SIGKILL) }
        }
        let second = try Launcher(studyDirectory: directory, options: Support.options(resume: true))
        let outcome = try await Support.bounded(90) { try await second.run() }
        #expect(outcome == .completed(done: 4, givenUp: 0))
        let servers = try second.journal.jobs(simulationID: nil)
        let deaths = try second.journal.decisions(kind: "server-dead")
        let events = try second.journal.events(limit: 40)
        #expect(servers.count == 2, "the dead server was restarted once: \(servers); \(deaths); \(events)")
        #expect(Support.finishedRuns(directory).map { $0.split(separator: " ")[0] }.sorted() == ["0", "1", "2", "3"])
    }

    @Test("a server that finished while the launcher was down is recognised: no restart, every simulation done")
    func aServerThatFinishedWhileTheLauncherWasDown() async throws {
        let directory = try Support.study(count: 2, arguments: "--step-delay 0.2", concurrency: 2)
        defer { Support.killLeftovers(directory) }
        let first = try Launcher(studyDirectory: directory, options: Support.options())
        let task = Task { try await first.run() }
        let submitted = try await LaunchingTestSupport.wait(timeout: 40) {
            try first.journal.liveJobs().filter { $0.simulationID != nil && $0.processGroup != nil }.count == 2
        }
        #expect(submitted)
        task.cancel()
        #expect(try await task.value == .detached)
        // The simulations and the server end on their own while nobody watches.
        let ended = await LaunchingTestSupport.wait(timeout: 60) {
            ServerEnding.read(fromStudy: directory) != nil
        }
        #expect(ended, "the stand-in server writes server.done when reception is over")
        try await Task.sleep(for: .milliseconds(300))
        let second = try Launcher(studyDirectory: directory, options: Support.options(resume: true))
        let outcome = try await Support.bounded(60) { try await second.run() }
        #expect(outcome == .completed(done: 2, givenUp: 0))
        #expect(try second.journal.jobs(simulationID: nil).count == 1, "the server was not restarted")
        let summary = try second.journal.summary()
        #expect(summary.done == 2 && summary.pending == 0 && summary.failed == 0)
        #expect(summary.server == .completed)
    }

    @Test("a simulation that exits 0 without ever connecting counts as failed and runs again")
    func anExitZeroWithoutDataIsAFailure() async throws {
        // Simulation 0's first attempt exits 0 at once, never connecting.
        let command = try Self.wrapper(firstAttemptOfSimulation0: "exit 0")
        let directory = try Support.study(count: 2, command: command)
        defer { Support.killLeftovers(directory) }
        let launcher = try Launcher(studyDirectory: directory, options: Support.options())
        // Before the fix the server waited for simulation 0 for ever.
        let outcome = try await Support.bounded(60) { try await launcher.run() }
        #expect(outcome == .completed(done: 2, givenUp: 0))
        let jobs = try launcher.journal.jobs(simulationID: 0)
        #expect(jobs.map(\.state) == [.failed(exitCode: 0, signal: nil), .completed])
        #expect(jobs.first?.word?.contains("without ever connecting") == true)
        #expect(try launcher.journal.events(limit: 100).contains { $0.message.hasPrefix("no-data:") })
        #expect(Support.finishedRuns(directory).sorted() == ["0 1", "1 0"])
    }

    @Test("a simulation that finishes with a step missing is incomplete: failed, retried, and then complete")
    func anIncompleteSimulationRunsAgain() async throws {
        // Simulation 1's first attempt leaves out its middle step, sends `finish` and exits 0.
        let directory = try Support.study(count: 2, arguments: "--skip 1:1")
        defer { Support.killLeftovers(directory) }
        let launcher = try Launcher(studyDirectory: directory, options: Support.options())
        // Before, reception ended with the data incomplete (1 rank) or waited for ever (the server now says it).
        let outcome = try await Support.bounded(60) { try await launcher.run() }
        #expect(outcome == .completed(done: 2, givenUp: 0))
        let jobs = try launcher.journal.jobs(simulationID: 1)
        #expect(jobs.map(\.state) == [.failed(exitCode: 0, signal: nil), .completed])
        #expect(jobs.first?.word?.hasPrefix("incomplete") == true, "\(jobs)")
        #expect(try launcher.journal.events(limit: 100).contains { $0.message.hasPrefix("incomplete:") })
        #expect(try launcher.journal.retriesSpent()[1] == 1)
    }

    @Test("a simulation that never connects is cancelled at simulation.timeout from its start, and retried")
    func aSimulationThatNeverConnectsIsCaught() async throws {
        let command = try Self.wrapper(firstAttemptOfSimulation0: "exec sleep 600")
        let directory = try Support.study(count: 2, timeoutSeconds: 2, walltimeSeconds: 600, command: command)
        defer { Support.killLeftovers(directory) }
        let launcher = try Launcher(studyDirectory: directory, options: Support.options())
        // Before the fix only the walltime (600 s) ended it.
        let outcome = try await Support.bounded(60) { try await launcher.run() }
        #expect(outcome == .completed(done: 2, givenUp: 0))
        let jobs = try launcher.journal.jobs(simulationID: 0)
        #expect(jobs.map(\.state) == [.cancelled(by: nil), .completed])
        let silent = try launcher.journal.events(limit: 100).filter { $0.message.hasPrefix("silent:") }
        #expect(silent.contains { $0.message.contains("without connecting") }, "\(silent)")
        #expect(try launcher.journal.retriesSpent()[0] == 1, "a hang before connecting is the simulation's fault")
    }

    @Test("an adaptive study chooses its batches as simulations finish, records them, and replays bit for bit")
    func anAdaptiveStudyRunsAndReplays() async throws {
        // 4 initial simulations, then 2 batches of 4; simulation 1 always crashes and is given up (no retry).
        let rules = AdaptiveSamplerSpec(initialKind: .sobol, initialCount: 4, batch: 4, exploration: [0.5, 0.5])
        let directory = try Support.study(
            count: 12, arguments: "--fail 1:99 --value {{x}}", retries: 0, concurrency: 2, redrawAfter: 0,
            adaptive: rules)
        defer { Support.killLeftovers(directory) }
        let launcher = try Launcher(studyDirectory: directory, options: Support.options())
        let outcome = try await Support.bounded(90) { try await launcher.run() }
        #expect(outcome == .completed(done: 11, givenUp: 1))
        let records = try launcher.journal.decisions(kind: Launcher.proposeKind)
        #expect(records.count == 2)
        let plan = launcher.plan
        let replay = try AdaptiveReplay(plan: plan, records: records)
        #expect(replay.batches == 2)
        #expect(replay.rows.filter { $0.origin == "initial" }.map(\.simulation) == [0, 1, 2, 3])
        #expect(replay.rows.filter { $0.batch == 1 }.map(\.simulation) == [4, 5, 6, 7])
        // The crashed set is in the proposer's state, as failed.
        let second = try JSONDecoder().decode(AdaptiveProposer.Record.self, from: Data(records[1].utf8))
        #expect(second.candidates.contains { $0.simulation == 1 && $0.failed })
        // Each simulation ran with the values its proposal chose (`--value {{x}}` echoes them).
        let ran = Dictionary(
            Support.finishedRuns(directory).map { line -> (Int, String) in
                let words = line.split(separator: " ")
                return (Int(words[0]) ?? -1, String(words[2]))
            }, uniquingKeysWith: { first, _ in first })
        for row in replay.rows where row.simulation != 1 {
            #expect(ran[row.simulation] == row.values[0].description, "simulation \(row.simulation)")
        }
        // A tampered record no longer replays.
        let tampered = records[0].replacingOccurrences(of: "\"seed\":", with: "\"seed\":1")
        #expect(throws: AdaptiveReplay.Mismatch.self) { _ = try AdaptiveReplay(plan: plan, records: [tampered]) }
    }

    @Test("a simulation that keeps hitting its walltime spends its budget and is given up, saying why")
    func walltimeKillsAreBounded() async throws {
        // Simulation 0 hangs on every attempt; its walltime is 2 s; one retry in its budget.
        let directory = try Support.study(
            count: 2, arguments: "--hang 0:99", retries: 1, timeoutSeconds: 60, walltimeSeconds: 2)
        defer { Support.killLeftovers(directory) }
        let launcher = try Launcher(studyDirectory: directory, options: Support.options())
        let outcome = try await Support.bounded(90) { try await launcher.run() }
        #expect(outcome == .completed(done: 1, givenUp: 1))
        // The first walltime is free, the second spends the one retry, the third gives up (not 10 free ones).
        #expect(try launcher.journal.jobs(simulationID: 0).map(\.state) == [.timedOut, .timedOut, .timedOut])
        let givenUp = try launcher.journal.events(limit: 100).filter { $0.message.hasPrefix("give-up:") }
        #expect(givenUp.contains { $0.message.contains("keeps hitting its walltime") }, "\(givenUp)")
    }
}
