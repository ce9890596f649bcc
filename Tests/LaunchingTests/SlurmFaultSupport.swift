import Foundation
import Launching
import MelissaTestSupport
import StudySpec
import Testing

/// The test cluster's extra nodes for fault injection (`scripts/slurm-test-cluster`): partition `faults` (nodes
/// `fault1`, `fault2`) for tests that set nodes DOWN, partition `limits` (`limit1`) for jobs run over their walltime
/// or memory. No other test uses them.
enum SlurmFaultSupport {
    static let environment = LaunchingTestSupport.environment
    /// The partition whose nodes tests may set DOWN.
    static let faultPartition = environment["MELISSA_SLURM_FAULT_PARTITION"]
    /// Its nodes.
    static let faultNodes = (environment["MELISSA_SLURM_FAULT_NODES"] ?? "").split(separator: ",").map(String.init)
    /// The partition for jobs over their walltime or memory.
    static let limitsPartition = environment["MELISSA_SLURM_LIMITS_PARTITION"]

    static let nodeFaultsEnabled = LaunchingTestSupport.slurmEnabled && faultPartition != nil && faultNodes.count >= 2
    static let limitsEnabled = LaunchingTestSupport.slurmEnabled && limitsPartition != nil
    static let memoryEnabled = limitsEnabled && environment["MELISSA_SLURM_MEMORY_LIMITS"] == "1"

    static let clusterNeeded = HostTools.noSlurmCluster
    /// Why the fault partitions are missing (the cluster is down, or was started without them).
    static let noFaultNodes = Comment(
        rawValue: LaunchingTestSupport.slurmEnabled
            ? "needs the test cluster's fault nodes: "
                + (environment["MELISSA_SLURM_FAULTS_UNAVAILABLE"]
                    ?? "the running cluster has none (restart it: scripts/slurm-test-cluster restart)")
            : clusterNeeded)
    /// Why jobs cannot run out of memory for real.
    static let noMemoryLimits = Comment(
        rawValue: !limitsEnabled
            ? noFaultNodes.rawValue
            : "needs memory limits on the test cluster: "
                + (environment["MELISSA_SLURM_MEMORY_LIMITS_UNAVAILABLE"] ?? "not enforced by the running cluster"))

    /// Slurm options of a test study: simulations in `partition` (with `directives`), the server in `limits` (never
    /// set DOWN, 512 MiB), `srun` starting both.
    static func slurm(
        partition: String?, directives: [String] = [], packing: SlurmOptions.Packing = .array,
        warningSeconds: Int = 60
    ) -> SlurmOptions {
        let account = environment["MELISSA_SLURM_ACCOUNT"]
        let qos = environment["MELISSA_SLURM_QOS"]
        let job = SlurmJobOptions(partition: partition, account: account, qos: qos, directives: directives)
        let server = SlurmJobOptions(partition: limitsPartition, account: account, qos: qos, directives: ["--mem=512M"])
        return SlurmOptions(
            job: job, server: server, packing: packing, launcher: .srun, signalSecondsBeforeWalltime: warningSeconds)
    }

    /// `sbatch` options of a raw test job in `partition`: output to `directory`, the account and QOS.
    static func jobArguments(partition: String?, in directory: URL, _ more: [String]) -> [String] {
        var arguments = ["--output=\(directory.path)/job-%j.out", "--ntasks=1", "--mem=64M"]
        if let partition { arguments.append("--partition=\(partition)") }
        if let account = environment["MELISSA_SLURM_ACCOUNT"] { arguments.append("--account=\(account)") }
        if let qos = environment["MELISSA_SLURM_QOS"] { arguments.append("--qos=\(qos)") }
        return arguments + more
    }

    /// A request running the bash `body` in `partition` under `name`.
    static func request(
        _ body: String, name: String, partition: String?, in directory: URL, file: String, _ more: [String] = []
    ) throws -> SubmissionRequest {
        let script = try LaunchingTestSupport.script(body, in: directory, name: file)
        return SubmissionRequest(
            role: .simulation(0), name: name, script: script,
            extraArguments: jobArguments(partition: partition, in: directory, more), workingDirectory: directory.path)
    }

    // MARK: Nodes

    static let runner = CommandRunner(timeout: 30)

    /// `scontrol update NodeName=<node> State=DOWN`: Slurm kills the jobs on it (`NODE_FAIL`, or requeued).
    static func setDown(_ node: String) async throws {
        _ = try await runner.check([
            "scontrol", "update", "NodeName=\(node)", "State=DOWN", "Reason=melissa-fault-test",
        ])
    }

    /// `scontrol update NodeName=<node> State=DRAIN`: no new job goes there, and it stays so (`ReturnToService=2`
    /// brings a DOWN node back within seconds, not a drained one) until ``restoreFaultNodes()``.
    static func drain(_ node: String) async throws {
        _ = try await runner.check([
            "scontrol", "update", "NodeName=\(node)", "State=DRAIN", "Reason=melissa-fault-test",
        ])
    }

    /// Brings every fault node back (`State=RESUME`; the cluster's `ReturnToService=2` may have done it already) and
    /// waits until they are up again, so that the next test finds them usable.
    static func restoreFaultNodes() async {
        for node in faultNodes {
            _ = try? await runner.run(["scontrol", "update", "NodeName=\(node)", "State=RESUME"])
        }
        _ = await LaunchingTestSupport.wait(timeout: 120, interval: 0.5) {
            for node in faultNodes where !(await isUp(node)) { return false }
            return true
        }
    }

    /// Whether `node` is up (idle, mixed or allocated).
    static func isUp(_ node: String) async -> Bool {
        let result = try? await runner.run(["sinfo", "--noheader", "--Node", "--nodes=\(node)", "--format=%T"])
        let state = result?.output.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        return ["idle", "mixed", "allocated"].contains { state.hasPrefix($0) }
    }

    /// Runs `body`, then restores the fault nodes, whether it threw or not.
    static func restoringNodes<T>(_ body: () async throws -> T) async throws -> T {
        do {
            let value = try await body()
            await restoreFaultNodes()
            return value
        } catch {
            await restoreFaultNodes()
            throw error
        }
    }

    // MARK: The journal

    /// Cancels the jobs a test study left live (after a failure: the launcher's task was cancelled, its jobs go on).
    static func cancelLeftovers(_ directory: String) async {
        guard let journal = try? Journal(studyDirectory: directory), let jobs = try? journal.liveJobs() else { return }
        try? await SlurmAdapter().cancel(jobs.map(\.schedulerID))
    }

    /// The messages of the study's events of `kind` about `simulation`, oldest first.
    static func events(_ journal: Journal, _ kind: JournalEvent.Kind, simulation: Int) throws -> [String] {
        try journal.events(limit: 1000).reversed().filter { $0.kind == kind && $0.simulationID == simulation }
            .map(\.message)
    }

    /// Waits until a job of `simulation` runs, and returns it (nil if none did within `timeout` seconds).
    static func runningJob(_ journal: Journal, simulation: Int, timeout: Double = 180) async throws -> JournalJob? {
        var running: JournalJob?
        _ = try await LaunchingTestSupport.wait(timeout: timeout, interval: 0.5) {
            running = try journal.jobs(simulationID: simulation).last { $0.state == .running && $0.nodeList != nil }
            return running != nil
        }
        return running
    }
}
