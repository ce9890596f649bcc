import Foundation
import Launching
import PlanModel
import Planning
import Testing

/// The launcher's recovery, resume and elasticity against a scheduler and a server in memory (``ScriptedAdapter``,
/// ``ScriptedServer``): no process is started, every state change is scripted poll by poll.
@Suite("Launcher against a scripted scheduler")
struct LauncherRecoveryTests {
    typealias Support = LauncherTestSupport

    /// A launcher for the study in `directory` that polls every 10 ms and pings every 50 ms.
    static func launcher(
        _ directory: String, adapter: ScriptedAdapter, server: ScriptedServer, resume: Bool = false
    ) throws -> Launcher {
        let plan = try PlanWriter.decode(Data(contentsOf: URL(fileURLWithPath: directory + "/plan.json")))
        return try Launcher(
            plan: plan, journal: Journal(studyDirectory: directory), adapter: adapter, server: server,
            options: LauncherOptions(
                resume: resume, pollInterval: 0.01, heartbeatInterval: 0.05, serverStartTimeout: 10, gracePeriod: 0))
    }

    /// Waits until `condition` holds: at most 120 s, a bound for hangs only (the tests of other suites may hold
    /// the 2 threads of the cooperative pool for a while on a loaded 2-core machine).
    static func eventually(_ condition: @Sendable () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(120)
        while try await !condition() {
            guard Date() < deadline else { throw Support.TimedOut(seconds: 120) }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    @Test("one scheduler query per poll however many jobs are in flight, each asking about every live job")
    func oneQueryPerPoll() async throws {
        let count = 400
        let directory = try Support.study(count: count, concurrency: count, redrawAfter: 0)
        let server = ScriptedServer()
        let adapter = ScriptedAdapter(
            server: server, window: count, script: { _ in [.running, .running, .running, .completed] },
            serverEnds: { latest in latest.count == count && latest.values.allSatisfy { $0 == .completed } })
        let plan = try PlanWriter.decode(Data(contentsOf: URL(fileURLWithPath: directory + "/plan.json")))
        let polls = PollCount()
        let launcher = try Launcher(
            plan: plan, journal: Journal(studyDirectory: directory), adapter: adapter, server: server,
            options: LauncherOptions(
                pollInterval: 0.01, heartbeatInterval: 0.05, serverStartTimeout: 10, gracePeriod: 0),
            report: { report in if case .progress = report { polls.add() } })
        let outcome = try await Support.bounded(120) { try await launcher.run() }
        #expect(outcome == .completed(done: count, givenUp: 0))
        let queries = await adapter.queries
        #expect(!queries.isEmpty && queries.count <= polls.count, "\(queries.count) queries in \(polls.count) polls")
        // Once every simulation is in flight, a poll asks about all of them (and the server) at once.
        #expect(queries.max() == count + 1)
        // Each job's three running polls wrote one state change, not three.
        let changes = try launcher.journal.events(limit: 100_000).filter { $0.kind == .stateChange }
        #expect(changes.count == 2 * count + 2, "pending → running → completed for each job, the server's too")
    }

    /// Progress reports: one after each poll.
    final class PollCount: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func add() { lock.withLock { value += 1 } }
        var count: Int { lock.withLock { value } }
    }

    @Test("a crashed simulation is retried within its budget, then given up, and the server is told")
    func crashRetriedThenGivenUp() async throws {
        let directory = try Support.study(count: 3, retries: 2, concurrency: 3, redrawAfter: 0)
        let server = ScriptedServer()
        let adapter = ScriptedAdapter(
            server: server, window: 3,
            script: { request in
                request.simulation == 1 ? [.running, .failed(exitCode: 1, signal: nil)] : [.running, .completed]
            },
            serverEnds: { latest in
                latest[0] == .completed && latest[2] == .completed && server.givenUp.contains(1)
            })
        let launcher = try Self.launcher(directory, adapter: adapter, server: server)
        let outcome = try await Support.bounded(120) { try await launcher.run() }
        #expect(outcome == .completed(done: 2, givenUp: 1))
        let attempts = await adapter.simulationSubmissions.filter { $0.request.simulation == 1 }.map(\.request.attempt)
        #expect(attempts == [0, 1, 2], "two retries, the budget, then no more")
        #expect(try launcher.journal.retriesSpent()[1] == 2)
        #expect(try launcher.journal.givenUpSimulations() == [1])
        #expect(server.givenUp == [1])
        #expect(await adapter.simulationSubmissions.filter { $0.request.simulation != 1 }.count == 2)
    }

    @Test("a simulation killed at its walltime is retried without spending its budget")
    func walltimeIsAFreeRetry() async throws {
        // No retries in the budget: a crash would be given up at once.
        let directory = try Support.study(count: 1, retries: 0, redrawAfter: 0)
        let server = ScriptedServer()
        let adapter = ScriptedAdapter(
            server: server, window: 2,
            script: { request in request.attempt == 0 ? [.running, .timedOut] : [.running, .completed] },
            serverEnds: { $0[0] == .completed })
        let launcher = try Self.launcher(directory, adapter: adapter, server: server)
        let outcome = try await Support.bounded(120) { try await launcher.run() }
        #expect(outcome == .completed(done: 1, givenUp: 0))
        #expect(await adapter.simulationSubmissions.map(\.request.attempt) == [0, 1])
        #expect(try launcher.journal.retriesSpent()[0] == nil, "the budget is untouched")
        let retries = try launcher.journal.events(limit: 100).filter { $0.kind == .retry }
        #expect(retries.map(\.message) == ["attempt 1 after timed_out (not counted)"])
        #expect(server.givenUp.isEmpty)
    }

    @Test("a resumed launcher adopts the running jobs and never runs a completed simulation again")
    func resumeAdoptsRunningJobs() async throws {
        let directory = try Support.study(count: 3, concurrency: 3, redrawAfter: 0)
        // The server has simulation 0's data (an exit 0 counts once the server has the simulation finished).
        let server = ScriptedServer { _ in ServerStatus(finished: [0]) }
        // Simulation 0 completes; 1 and 2 run until the test says otherwise.
        let adapter = ScriptedAdapter(
            server: server, window: 3,
            script: { request in request.simulation == 0 ? [.running, .completed] : [.running] },
            serverEnds: { latest in (0..<3).allSatisfy { latest[$0] == .completed } })
        let first = try Self.launcher(directory, adapter: adapter, server: server)
        let running = Task { try await first.run() }
        try await Self.eventually {
            try first.journal.completedSimulations() == [0] && first.journal.liveJobs().count == 3
        }
        running.cancel()
        #expect(try await running.value == .detached)
        let submittedBefore = await adapter.submissions.count
        #expect(submittedBefore == 4, "the server and three simulations")

        // The scheduler outlives the launcher: the adopted jobs finish under the next one.
        await adapter.script(simulation: 1, [.running, .running, .completed])
        await adapter.script(simulation: 2, [.running, .completed])
        let second = try Self.launcher(directory, adapter: adapter, server: server, resume: true)
        let outcome = try await Support.bounded(120) { try await second.run() }
        #expect(outcome == .completed(done: 3, givenUp: 0))
        #expect(await adapter.submissions.count == submittedBefore, "nothing submitted again, the server included")
        #expect(try second.journal.study()?.launches == 2)
        #expect(try second.journal.jobs(simulationID: 0).count == 1)
    }

    @Test("the window shrinks while the buffer is full, grows while the trainer starves, and bounds submissions")
    func elasticWindow() async throws {
        let directory = try Support.study(
            count: 12, concurrency: 3, redrawAfter: 0, minimumConcurrency: 1, capacity: 10, watermark: 5)
        // Three pings with a full buffer, then a starving trainer.
        let server = ScriptedServer { ping in
            ping < 3
                ? ServerStatus(population: [10], receivedPerSecond: 100, trainedPerSecond: 10)
                : ServerStatus(population: [0], receivedPerSecond: 1, trainedPerSecond: 10)
        }
        let adapter = ScriptedAdapter(
            server: server, window: 3, script: { _ in Array(repeating: .running, count: 20) + [.completed] },
            serverEnds: { latest in (0..<12).allSatisfy { latest[$0] == .completed } })
        let launcher = try Self.launcher(directory, adapter: adapter, server: server)
        let outcome = try await Support.bounded(120) { try await launcher.run() }
        #expect(outcome == .completed(done: 12, givenUp: 0))
        // Locally the limit covers the server's job too: window + 1.
        #expect(await adapter.throttles == [3, 2, 3, 4], "3 → 2 → 1 (the minimum), then 2 → 3 (the maximum)")
        let submissions = await adapter.simulationSubmissions
        #expect(submissions.count == 12)
        for submission in submissions {
            #expect(submission.liveSimulations <= submission.window, "job \(submission.id) exceeds the window")
        }
        let throttles = try launcher.journal.events(limit: 200).filter { $0.message.hasPrefix("throttle: window") }
        #expect(throttles.count == 4)
    }

    @Test("a dead server is resubmitted from its checkpoint; simulations in flight rerun, lost data is run again")
    func deadServerRestarted() async throws {
        let directory = try Support.study(count: 3, concurrency: 3, redrawAfter: 0)
        let server = ScriptedServer { _ in ServerStatus(finished: [0]) }
        // The first attempts of simulations 1 and 2 run until cancelled; everything else completes.
        let adapter = ScriptedAdapter(
            server: server, window: 3,
            script: { request in
                request.attempt == 0 && request.simulation != 0 ? [.running] : [.running, .completed]
            },
            serverEnds: { latest in (0..<3).allSatisfy { latest[$0] == .completed } })
        let launcher = try Self.launcher(directory, adapter: adapter, server: server)
        let running = Task { try await launcher.run() }
        defer { running.cancel() }
        try await Self.eventually { try launcher.journal.completedSimulations() == [0] && server.pingCount > 0 }
        server.die()
        try await Self.eventually { await adapter.serverSubmissions.count == 2 }
        // The restarted server's checkpoint lacks simulation 0's steps.
        server.restart { _ in ServerStatus(finished: []) }
        let outcome = try await Support.bounded(120) { try await running.value }
        #expect(outcome == .completed(done: 3, givenUp: 0))
        let servers = await adapter.serverSubmissions
        #expect(servers.map(\.request.attempt) == [0, 1])
        let firstAttempts = await adapter.simulationSubmissions.filter { $0.request.attempt == 0 }
        let cancelled = await adapter.cancelled
        #expect(cancelled.contains(servers[0].id), "the silent server's job is cancelled")
        for submission in firstAttempts where submission.request.simulation != 0 {
            #expect(cancelled.contains(submission.id), "simulation jobs in flight are cancelled")
        }
        #expect(await adapter.simulationSubmissions.map(\.request.simulation).count(where: { $0 == 0 }) == 2)
        #expect(try launcher.journal.retriesSpent().isEmpty, "no simulation spent its budget")
        let kinds = try launcher.journal.events(limit: 200).map(\.message)
        #expect(kinds.contains { $0.hasPrefix("server-dead:") })
        #expect(kinds.contains { $0.hasPrefix("data-lost:") })
    }
}
