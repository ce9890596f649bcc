import Foundation
import Launching
import MelissaTestSupport
import PlanModel
import Planning
import Testing

/// The Slurm adapter against the real test cluster (scripts/slurm-test-cluster).
@Suite(.serialized) struct SlurmAdapterClusterTests {
    static let environment = LaunchingTestSupport.environment

    /// The test cluster's partition, account and QOS, as sbatch options, and output to /dev/null.
    static var clusterArguments: [String] {
        var arguments = ["--output=/dev/null", "--error=/dev/null", "--ntasks=1", "--mem=64M"]
        if let partition = environment["MELISSA_SLURM_PARTITION"] { arguments.append("--partition=\(partition)") }
        if let account = environment["MELISSA_SLURM_ACCOUNT"] { arguments.append("--account=\(account)") }
        if let qos = environment["MELISSA_SLURM_QOS"] { arguments.append("--qos=\(qos)") }
        return arguments
    }

    /// A request running `body` under a fresh job name.
    static func request(_ body: String, name: String, in directory: URL, file: String) throws -> SubmissionRequest {
        let script = try LaunchingTestSupport.script(body, in: directory, name: file)
        return SubmissionRequest(
            role: .simulation(0), name: name, script: script, extraArguments: clusterArguments,
            workingDirectory: directory.path)
    }

    /// Runs `body`, then cancels whatever it submitted, whether it threw or not.
    static func withJobs(
        _ adapter: SlurmAdapter, _ body: (_ track: @escaping @Sendable (JobID) -> Void) async throws -> Void
    ) async throws {
        let submitted = SubmittedJobs()
        do {
            try await body { submitted.add($0) }
        } catch {
            try? await adapter.cancel(submitted.all)
            throw error
        }
        try? await adapter.cancel(submitted.all)
    }

    /// Polls with the one-call query until every expected job is over (or `timeout`), and returns the last answer.
    static func pollUntilFinished(_ adapter: SlurmAdapter, _ query: JobQuery, timeout: Double = 90) async throws
        -> [JobID: JobStatus]
    {
        var latest: [JobID: JobStatus] = [:]
        let wanted = query.expected.flatMap(\.expanded)
        let done = try await LaunchingTestSupport.wait(timeout: timeout, interval: 0.5) {
            latest = Dictionary(try await adapter.query(query).map { ($0.id, $0) }) { $1 }
            return wanted.allSatisfy { latest[$0]?.state.isFinished == true }
        }
        #expect(done, "not finished within \(timeout) s: \(wanted.map { "\($0): \(latest[$0]?.word ?? "-")" })")
        return latest
    }

    @Test(.requiresSlurm)
    func completedFailedAndCancelledJobs() async throws {
        let directory = try LaunchingTestSupport.temporaryDirectory("melissa-slurm-adapter")
        defer { try? FileManager.default.removeItem(at: directory) }
        let adapter = SlurmAdapter()
        let name = "lt-\(UUID().uuidString.prefix(8))"
        let start = Date()
        try await Self.withJobs(adapter) { track in
            var ok = try Self.request(
                "echo \"$MELISSA_ATTEMPT\" > attempt.txt", name: name, in: directory, file: "ok.sh")
            ok.attempt = 2
            let okID = try await adapter.submit(ok)
            track(okID)
            let failID = try await adapter.submit(
                try Self.request("exit 1", name: name, in: directory, file: "fail.sh"))
            track(failID)
            let slowID = try await adapter.submit(
                try Self.request("sleep 300", name: name, in: directory, file: "slow.sh"))
            track(slowID)
            let query = JobQuery(names: [name], since: start, expected: [okID, failID, slowID])
            let running = try await LaunchingTestSupport.wait(timeout: 60, interval: 0.5) {
                try await adapter.query(query).first { $0.id == slowID }?.state == .running
            }
            #expect(running, "the slow job started")
            try await adapter.cancel([slowID])
            let statuses = try await Self.pollUntilFinished(adapter, query)
            #expect(statuses[okID]?.state == .completed)
            #expect(statuses[failID]?.state == .failed(exitCode: 1, signal: nil))
            #expect(statuses[failID]?.exitStatus == ExitStatus(code: 1))
            let cancelled = statuses[slowID]?.state
            #expect(
                cancelled == .cancelled(by: 0) || cancelled == .cancelled(by: nil), "\(String(describing: cancelled))")
            let attempt = try String(contentsOfFile: directory.path + "/attempt.txt", encoding: .utf8)
            #expect(attempt == "2\n")
            // Cancelling jobs that are over is not an error.
            try await adapter.cancel([okID, slowID])
        }
    }

    @Test(.requiresSlurm)
    func anArrayWhoseThrottleChanges() async throws {
        let directory = try LaunchingTestSupport.temporaryDirectory("melissa-slurm-array")
        defer { try? FileManager.default.removeItem(at: directory) }
        let adapter = SlurmAdapter()
        let name = "lt-\(UUID().uuidString.prefix(8))"
        let start = Date()
        try await Self.withJobs(adapter) { track in
            let chunk = ArrayChunk(first: 10, count: 4)
            var request = try Self.request(
                "sleep 2; echo \"$((MELISSA_ARRAY_OFFSET + SLURM_ARRAY_TASK_ID))\" > \"sim-$SLURM_ARRAY_TASK_ID\"",
                name: name, in: directory, file: "array.sh")
            request.role = .simulations(chunk)
            request.array = chunk
            request.throttle = 1
            let id = try await adapter.submit(request)
            track(id)
            #expect(id.arrayTask == nil && id.arrayTasks == nil)
            let tasks = request.jobs(submittedAs: id)
            let query = JobQuery(names: [name], since: start, expected: tasks)
            // Every task has a status from the first poll on (pending ones from squeue when accounting lags).
            let first = try await adapter.query(query)
            #expect(Set(first.map(\.id)).isSuperset(of: tasks), "\(first.map(\.id))")
            #expect(!first.contains { $0.state == .vanished })
            #expect(try await adapter.arrayThrottle(of: id) == 1)
            try await adapter.updateThrottle(of: id, to: 2)
            #expect(try await adapter.arrayThrottle(of: id) == 2)
            let statuses = try await Self.pollUntilFinished(adapter, query)
            #expect(tasks.allSatisfy { statuses[$0]?.state == .completed })
            for task in 0..<4 {
                let written = try String(contentsOfFile: directory.path + "/sim-\(task)", encoding: .utf8)
                #expect(written == "\(10 + task)\n")
            }
        }
    }

    @Test(.requiresSlurm)
    func withoutAccountingAFinishedJobVanishes() async throws {
        let directory = try LaunchingTestSupport.temporaryDirectory("melissa-slurm-squeue")
        defer { try? FileManager.default.removeItem(at: directory) }
        let adapter = SlurmAdapter(options: SlurmAdapterOptions(useAccounting: false))
        let name = "lt-\(UUID().uuidString.prefix(8))"
        try await Self.withJobs(adapter) { track in
            let id = try await adapter.submit(try Self.request("exit 3", name: name, in: directory, file: "f.sh"))
            track(id)
            let query = JobQuery(names: [name], since: Date(), expected: [id])
            var seen: [JobState] = []
            // squeue shows the finished job for MinJobAge seconds (10 on the test cluster), then it is gone.
            let vanished = try await LaunchingTestSupport.wait(timeout: 120, interval: 0.5) {
                let state = try await adapter.query(query).first { $0.id == id }?.state
                if let state, seen.last != state { seen.append(state) }
                return state == .vanished
            }
            #expect(vanished, "\(seen)")
            #expect(seen.contains(.failed(exitCode: 3, signal: nil)), "squeue's exit code is read: \(seen)")
        }
    }
}

/// The ids a cluster test submitted, for its cleanup.
final class SubmittedJobs: @unchecked Sendable {
    private let lock = NSLock()
    private var ids: [JobID] = []

    func add(_ id: JobID) { lock.withLock { ids.append(id) } }
    var all: [JobID] { lock.withLock { ids } }
}
