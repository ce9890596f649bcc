import Foundation
import Launching
import PlanModel
import Planning
import StudySpec
import Testing

@testable import Launching

/// What the launcher submits first, offline studies, and how fast it reacts to a finished job.
@Suite("Launcher: order, offline, reaction")
struct LauncherOrderTests {
    typealias Support = LauncherTestSupport

    @Test("validation simulations are interleaved with the first training ones, so they stream early")
    func validationRunsEarly() async throws {
        let directory = try Support.study(count: 4, concurrency: 1, validation: 2)
        let plan = try PlanWriter.decode(Data(contentsOf: URL(fileURLWithPath: directory + "/plan.json")))
        #expect(plan.simulations.filter { $0.role == .validation }.map(\.id) == [4, 5])
        #expect(Launcher.submissionOrder(plan) == [4, 0, 5, 1, 2, 3])
        let server = ScriptedServer()
        let adapter = ScriptedAdapter(
            server: server, window: 1, script: { _ in [.running, .completed] },
            serverEnds: { latest in (0..<6).allSatisfy { latest[$0] == .completed } })
        let launcher = try LauncherRecoveryTests.launcher(directory, adapter: adapter, server: server)
        let outcome = try await Support.bounded(120) { try await launcher.run() }
        #expect(outcome == .completed(done: 6, givenUp: 0))
        let order = await adapter.simulationSubmissions.compactMap(\.request.simulation)
        #expect(order == [4, 0, 5, 1, 2, 3])
    }

    @Test("an offline study runs its simulations to the end without a server")
    func offlineNeedsNoServer() async throws {
        let directory = try Support.study(count: 3, concurrency: 2, mode: .offline)
        let plan = try PlanWriter.decode(Data(contentsOf: URL(fileURLWithPath: directory + "/plan.json")))
        #expect(plan.isOffline)
        let script = try String(
            contentsOfFile: directory + "/" + (try #require(plan.scripts.simulations)), encoding: .utf8)
        #expect(script.contains("export MELISSA_OFFLINE_DIR=") && script.contains(plan.offlineDataDirectory))
        let server = ScriptedServer()
        let adapter = ScriptedAdapter(
            server: server, window: 2, script: { _ in [.running, .completed] }, serverEnds: { _ in false })
        let launcher = try LauncherRecoveryTests.launcher(directory, adapter: adapter, server: server)
        let outcome = try await Support.bounded(120) { try await launcher.run() }
        #expect(outcome == .completed(done: 3, givenUp: 0))
        #expect(await adapter.submissions.allSatisfy { $0.request.simulation != nil }, "no server job")
        #expect(server.pingCount == 0)
    }

    @Test("a finished local job is followed by the next submission at once, not at the next poll")
    func theLocalAdapterEndsTheWaitWhenAJobExits() async throws {
        // Four one-second simulations one at a time, polled every hour: waiting for the polls would take 3 hours,
        // so finishing within the (generous, loaded-machine) bound shows that each exit ended the launcher's wait.
        let directory = try Support.study(count: 4, concurrency: 1, mode: .offline, command: "sleep 1")
        var options = Support.options()
        options.pollInterval = 3600
        let launcher = try Launcher(studyDirectory: directory, options: options)
        let outcome = try await Support.bounded(600) { try await launcher.run() }
        #expect(outcome == .completed(done: 4, givenUp: 0), "each exit ended the launcher's wait")
    }
}
