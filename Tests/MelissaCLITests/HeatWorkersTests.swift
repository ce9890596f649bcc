import Foundation
import Launching
import MelissaTestSupport
import Testing

/// The heat-equation study run by workers (`execution.workers`), end to end with the real `melissa`: the server,
/// `melissa worker` in each worker job, the C client in every heat-pde run; locally (mpirun) and on the real
/// single-node Slurm test cluster (each worker a batch job, each simulation an srun step in it). `melissa status`
/// then shows the workers.
@Suite("heat study in workers", .serialized)
struct HeatWorkersTests {
    static func study(scheduler: String, name: String) -> String {
        let environment = ProcessInfo.processInfo.environment
        let heat = repositoryRoot.appendingPathComponent("build/bin/heat-pde").path
        let execution =
            scheduler == "local"
            ? """
              scheduler: local
              local: {mpirun: mpirun, mpirun_arguments: [--oversubscribe]}
            """
            : """
              scheduler: slurm
              slurm:
                partition: \(environment["MELISSA_SLURM_PARTITION"] ?? "debug")
                account: \(environment["MELISSA_SLURM_ACCOUNT"] ?? "melissa")
                qos: \(environment["MELISSA_SLURM_QOS"] ?? "normal")
                launcher: srun
                launcher_arguments: ["--mpi=pmix"]
                signal_before_walltime: 30s
            """
        return """
            study: {name: \(name), output: run, seed: 7}
            parameters:
              T0: {uniform: [100, 500]}
              T1: {uniform: [100, 500]}
              T2: {uniform: [100, 500]}
              T3: {uniform: [100, 500]}
              T4: {uniform: [100, 500]}
            sampler: {kind: sobol, count: 6}
            simulation:
              command: "\(heat) --mesh 20 --steps {{time_steps}} {{T0}} {{T1}} {{T2}} {{T3}} {{T4}}"
              fields: [{name: temperature, size: 400}]
              time_steps: 10
              resources: {nodes: 1, tasks: 1, walltime: "00:05:00"}
            buffer: {policy: reservoir, capacity: 200, watermark: 20}
            training:
              model: {hidden: [32]}
              validation: {simulations: 1, every_batches: 20, require_skill: false}
            execution:
              workers: {count: 2, walltime: "00:20:00"}
              server: {walltime: "00:20:00"}
            \(execution)
            """
    }

    static func runStudy(scheduler: String) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("melissa-heat-workers-\(UUID())")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let name = "heatw-\(UUID().uuidString.prefix(6).lowercased())"
        let file = root.appendingPathComponent("study.yaml")
        try Self.study(scheduler: scheduler, name: name).write(to: file, atomically: true, encoding: .utf8)
        let validate = try await MelissaRun.run(["validate", file.path])
        #expect(validate.standardOutput.contains("1–2 worker jobs at once"), "\(validate.standardOutput)")
        let launch = try await MelissaRun.run(["launch", file.path, "--poll", "0.5", "--heartbeat", "1"])
        #expect(launch.status == 0, "\(launch.standardOutput)\n\(launch.standardError)")
        #expect(launch.standardOutput.contains("study complete: 7 simulations done"), "\(launch.standardOutput)")
        let run = root.appendingPathComponent("run")
        #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent("model.melissa").path))
        let metrics = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        let last = try #require(metrics.split(separator: "\n").last)
        let record = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        #expect(record["received"] as? Int == 70, "every (simulation, step) received once: \(record)")

        // No job per simulation: every simulation ran inside one of at most a few worker jobs.
        let journal = try Journal(studyDirectory: run.path)
        let jobs = try journal.allJobs()
        #expect(jobs.filter { $0.simulationID != nil }.allSatisfy { $0.isRun })
        let workers = try journal.workers()
        #expect((1...4).contains(workers.count), "\(workers)")
        #expect(workers.reduce(0) { $0 + $1.runs } == 7)

        let status = try await MelissaRun.run(["status", run.path])
        #expect(status.status == 0)
        #expect(status.standardOutput.contains("workers     0 running, 0 idle, 0 pending"), "\(status.standardOutput)")
        #expect(status.standardOutput.contains("simulations run)"))
        let json = try await MelissaRun.run(["status", run.path, "--json"])
        let document = try #require(
            try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any])
        let rows = try #require(document["workers"] as? [[String: Any]])
        #expect(rows.count == workers.count)
        #expect(rows.compactMap { $0["runs"] as? Int }.reduce(0, +) == 7)
        let simulations = try #require(document["simulations"] as? [[String: Any]])
        #expect(simulations.allSatisfy { $0["worker"] as? Int != nil && $0["state"] as? String == "done" })
        let table = try await MelissaRun.run(["status", run.path, "--simulations"])
        #expect(table.standardOutput.contains("worker  job"), "\(table.standardOutput)")
    }

    @Test("locally: two workers run the heat study with mpirun", .requiresHeatSolver, .requiresMPI)
    func locally() async throws {
        try await Self.runStudy(scheduler: "local")
    }

    @Test("on Slurm: worker batch jobs run the heat study as srun steps", .requiresSlurm, .requiresHeatSolver)
    func onSlurm() async throws {
        try await Self.runStudy(scheduler: "slurm")
    }
}
