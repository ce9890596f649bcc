import Foundation
import Launching
import Testing

/// Node failures for real: a node of the test cluster's `faults` partition is set DOWN (`scontrol update
/// State=DOWN`) under a running job, then brought back. Serialized: each test sets nodes DOWN.
@Suite("Slurm node failures", .serialized)
struct SlurmNodeFailureTests {
    typealias Fault = SlurmFaultSupport

    @Test(
        "a node set DOWN ends a --no-requeue job as NODE_FAIL and requeues a --requeue job under the same id",
        .enabled(if: SlurmFaultSupport.nodeFaultsEnabled, SlurmFaultSupport.noFaultNodes))
    func nodeFailureAndRequeue() async throws {
        let directory = try LaunchingTestSupport.temporaryDirectory("melissa-slurm-node-fail")
        defer { try? FileManager.default.removeItem(at: directory) }
        let adapter = SlurmAdapter()
        let name = "lt-\(UUID().uuidString.prefix(8))"
        let node = try #require(Fault.faultNodes.first)
        let start = Date()
        // Both on the same node; a requeued run (SLURM_RESTART_COUNT > 0) ends at once.
        let body = """
            if [ "${SLURM_RESTART_COUNT:-0}" -gt 0 ]; then echo "$SLURM_JOB_ID requeued" >> runs; exit 0; fi
            echo "$SLURM_JOB_ID first" >> runs
            sleep 300
            """
        try await Fault.restoringNodes {
            try await SlurmAdapterClusterTests.withJobs(adapter) { track in
                let dropped = try await adapter.submit(
                    try Fault.request(
                        body, name: name, partition: Fault.faultPartition, in: directory, file: "dropped.sh",
                        ["--nodelist=\(node)", "--no-requeue"]))
                track(dropped)
                let requeued = try await adapter.submit(
                    try Fault.request(
                        body, name: name, partition: Fault.faultPartition, in: directory, file: "requeued.sh",
                        ["--nodelist=\(node)", "--requeue"]))
                track(requeued)
                let query = JobQuery(names: [name], since: start, expected: [dropped, requeued])
                let running = try await LaunchingTestSupport.wait(timeout: 120, interval: 0.5) {
                    let statuses = try await adapter.query(query)
                    return [dropped, requeued].allSatisfy { id in
                        statuses.contains { $0.id == id && $0.state == .running }
                    }
                }
                try #require(running, "both jobs started on \(node)")
                try await Fault.setDown(node)

                var seen: [JobState] = [.running]
                var latest: [JobID: JobStatus] = [:]
                let over = try await LaunchingTestSupport.wait(timeout: 180, interval: 0.5) {
                    latest = Dictionary(try await adapter.query(query).map { ($0.id, $0) }) { $1 }
                    if let state = latest[requeued]?.state, state != seen.last { seen.append(state) }
                    // The requeued job runs again once its node is back.
                    if latest[dropped]?.state.isFinished == true { await Fault.restoreFaultNodes() }
                    return latest[dropped]?.state.isFinished == true && latest[requeued]?.state == .completed
                }
                #expect(over, "\(latest.values.map { "\($0.id): \($0.word)" }), requeued job: \(seen)")
                #expect(latest[dropped]?.state == .nodeFailure)
                #expect(latest[dropped]?.word == "NODE_FAIL")
                #expect(latest[dropped]?.nodeList == node)
                // Back in the queue under its id (pending, or requeued), then run again and completed.
                #expect(seen.first == .running && seen.last == .completed, "\(seen)")
                #expect(seen.contains(.pending) || seen.contains(.requeued), "\(seen)")
                let runs = try String(contentsOf: directory.appendingPathComponent("runs"), encoding: .utf8)
                #expect(runs.contains("\(requeued) requeued"), "\(runs)")
                #expect(!runs.contains("\(dropped) requeued"), "\(runs)")
            }
        }
    }

    @Test(
        "excluded nodes are kept while another node of the partition can run the job, dropped when none can",
        .enabled(if: SlurmFaultSupport.nodeFaultsEnabled, SlurmFaultSupport.noFaultNodes))
    func exclusionNeedsAnotherNode() async throws {
        let directory = try LaunchingTestSupport.temporaryDirectory("melissa-slurm-exclude")
        defer { try? FileManager.default.removeItem(at: directory) }
        let adapter = SlurmAdapter()
        let nodes = Fault.faultNodes
        var request = try Fault.request(
            "exit 0", name: "lt-\(UUID().uuidString.prefix(8))", partition: Fault.faultPartition, in: directory,
            file: "x.sh")
        request.excludedNodes = [nodes[0]]
        #expect(try await !adapter.exclusionLeavesNoNode(request), "\(nodes[1]) can run it")
        request.excludedNodes = nodes
        #expect(try await adapter.exclusionLeavesNoNode(request), "every node of the partition excluded")
        try await Fault.restoringNodes {
            // The other node drained (it would stay so; a node set DOWN may be back before the check): the one
            // left is excluded.
            try await Fault.drain(nodes[1])
            request.excludedNodes = [nodes[0]]
            #expect(try await adapter.exclusionLeavesNoNode(request), "\(nodes[1]) is drained")
        }
        // A single-node partition: a job told to avoid its only node still runs there.
        let host = try #require(try await Fault.runner.check(["hostname", "-s"]).output.split(separator: "\n").first)
        let name = "lt-\(UUID().uuidString.prefix(8))"
        var single = try Fault.request(
            "exit 0", name: name, partition: LaunchingTestSupport.environment["MELISSA_SLURM_PARTITION"],
            in: directory, file: "single.sh")
        single.excludedNodes = [String(host)]
        let start = Date()
        try await SlurmAdapterClusterTests.withJobs(adapter) { track in
            let id = try await adapter.submit(single)
            track(id)
            let statuses = try await SlurmAdapterClusterTests.pollUntilFinished(
                adapter, JobQuery(names: [name], since: start, expected: [id]), timeout: 120)
            #expect(statuses[id]?.state == .completed)
            #expect(statuses[id]?.nodeList == String(host))
        }
    }

    @Test(
        "a simulation whose node fails runs again on another node without spending its retry budget",
        .enabled(if: SlurmFaultSupport.nodeFaultsEnabled, SlurmFaultSupport.noFaultNodes))
    func simulationAvoidsAFailedNode() async throws {
        let (launcher, outcome, node) = try await Self.launchFailingTheNodeUnderTheFirstRun(directive: "--no-requeue")
        #expect(outcome == .completed(done: 1, givenUp: 0))
        let jobs = try launcher.journal.jobs(simulationID: 0)
        #expect(jobs.map(\.attempt) == [0, 1])
        #expect(jobs.first?.state == .nodeFailure)
        #expect(jobs.first?.nodeList == node)
        #expect(jobs.last?.state == .completed)
        #expect(jobs.last?.nodeList != node, "the retry avoided \(node)")
        #expect(try launcher.journal.retriesSpent()[0] == nil)
        #expect(
            try Fault.events(launcher.journal, .retry, simulation: 0) == ["attempt 1 after node_failure (not counted)"])
        #expect(
            try Fault.events(launcher.journal, .decision, simulation: 0).contains(
                "exclude-node: simulation 0 avoids \(node) after node_failure"))
    }

    @Test(
        "a requeued simulation is followed under its job id, not resubmitted",
        .enabled(if: SlurmFaultSupport.nodeFaultsEnabled, SlurmFaultSupport.noFaultNodes))
    func requeuedSimulation() async throws {
        let (launcher, outcome, _) = try await Self.launchFailingTheNodeUnderTheFirstRun(directive: "--requeue")
        #expect(outcome == .completed(done: 1, givenUp: 0))
        let jobs = try launcher.journal.jobs(simulationID: 0)
        #expect(jobs.count == 1, "one job, requeued by Slurm: \(jobs.map(\.schedulerID))")
        #expect(jobs.first?.state == .completed)
        let changes = try Fault.events(launcher.journal, .stateChange, simulation: 0)
        let back = changes.firstIndex { $0.contains("running -> pending") || $0.contains("running -> requeued") }
        #expect(back != nil, "back in the queue after running: \(changes)")
        #expect(try Fault.events(launcher.journal, .retry, simulation: 0).isEmpty)
        #expect(LauncherTestSupport.finishedRuns(launcher.plan.studyDirectory) == ["0 0"])
    }

    /// Launches a one-simulation study on the fault partition with `directive`, no retries at all (a retry that spent
    /// the budget would give the simulation up) and a first run that hangs half-way (the stand-in's --hang is for a
    /// job's first run only); sets the node under that run DOWN, and returns the launcher, its outcome and the node.
    static func launchFailingTheNodeUnderTheFirstRun(
        directive: String
    ) async throws -> (Launcher, LaunchOutcome, String) {
        let directory = try LauncherTestSupport.study(
            count: 1, arguments: "--hang 0:1", retries: 0, timeoutSeconds: 600, concurrency: 1,
            slurm: Fault.slurm(partition: Fault.faultPartition, directives: [directive]))
        defer { LauncherTestSupport.killLeftovers(directory) }
        var options = LauncherTestSupport.options()
        options.pollInterval = 0.5
        let launcher = try Launcher(studyDirectory: directory, options: options)
        let task = Task { try await launcher.run() }
        let (outcome, node) = try await Fault.restoringNodes {
            do {
                let running = try await Fault.runningJob(launcher.journal, simulation: 0)
                let node = try #require(running?.nodeList, "simulation 0 started")
                try await Fault.setDown(node)
                return (try await LauncherTestSupport.bounded(300) { try await task.value }, node)
            } catch {
                task.cancel()
                await Fault.cancelLeftovers(directory)
                throw error
            }
        }
        return (launcher, outcome, node)
    }
}
