import Foundation
import Launching
import MelissaTestSupport
import Testing

/// The heat-equation study, end to end on the real single-node Slurm test cluster (scripts/slurm-test-cluster), with a
/// server of 1 and of 2 training ranks:
/// `melissa launch` plans it, submits the server (srun) and the simulations (one job array of heat-pde runs, srun),
/// which stream to the server over the node's host name; the server trains and exports the model.
@Test(
    .requiresSlurm, .requiresHeatSolver,
    arguments: [1, 2])
func theHeatStudyRunsOnSlurm(ranks: Int) async throws {
    let environment = ProcessInfo.processInfo.environment
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("melissa-slurm-heat-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: root) }
    let heat = repositoryRoot.appendingPathComponent("build/bin/heat-pde").path
    let study = """
        study: {name: heat-slurm-\(UUID().uuidString.prefix(6).lowercased()), output: run, seed: 7}
        parameters:
          T0: {uniform: [100, 500]}
          T1: {uniform: [100, 500]}
          T2: {uniform: [100, 500]}
          T3: {uniform: [100, 500]}
          T4: {uniform: [100, 500]}
        sampler: {kind: sobol, count: 4}
        simulation:
          command: "\(heat) --mesh 20 --steps {{time_steps}} {{T0}} {{T1}} {{T2}} {{T3}} {{T4}}"
          fields: [{name: temperature, size: 400}]
          time_steps: 10
          resources: {nodes: 1, tasks: 1, walltime: "00:05:00"}
        buffer: {policy: reservoir, capacity: 200, watermark: 20}
        training:
          ranks: \(ranks)
          model: {hidden: [32]}
          validation: {simulations: 1, every_batches: 20, require_skill: false}
        execution:
          scheduler: slurm
          concurrency: {min: 1, max: 2}
          server: {walltime: "00:10:00"}
          slurm:
            partition: \(environment["MELISSA_SLURM_PARTITION"] ?? "debug")
            account: \(environment["MELISSA_SLURM_ACCOUNT"] ?? "melissa")
            qos: \(environment["MELISSA_SLURM_QOS"] ?? "normal")
            launcher: srun
            launcher_arguments: ["--mpi=pmix"]
            signal_before_walltime: 30s
        """
    let file = root.appendingPathComponent("study.yaml")
    try study.write(to: file, atomically: true, encoding: .utf8)
    let launch = try await MelissaRun.run(["launch", file.path, "--poll", "0.5"])
    #expect(launch.status == 0, "\(launch.standardOutput)\n\(launch.standardError)")
    #expect(launch.standardOutput.contains("study complete: 5 simulations done"), "\(launch.standardOutput)")
    let run = root.appendingPathComponent("run")
    #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent("model.melissa").path))
    let metrics = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
    let last = try #require(metrics.split(separator: "\n").last)
    let record = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
    #expect(record["received"] as? Int == 50, "every (simulation, step) received once: \(record)")
    // One checkpoint per training rank (srun started them as one MPI job through PMIx).
    let checkpoints = ranks == 1 ? ["checkpoint.melissa"] : (0..<ranks).map { "checkpoint-rank\($0).melissa" }
    for name in checkpoints {
        #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent(name).path), "\(name)")
    }
}

/// The walltime warning on the real Slurm test cluster: the server's batch shell gets SIGUSR1, passes it to srun, which
/// forwards it to the server; the server checkpoints and stops, and the job ends as a walltime (FAILED 0:10), which the
/// adapter reports as timed out, so the launcher restarts it from the checkpoint without counting a crash.
@Test(.requiresSlurm)
func theServerCheckpointsOnTheWalltimeWarningUnderSrun() async throws {
    let environment = ProcessInfo.processInfo.environment
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("melissa-slurm-warn-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: root) }
    let name = "warn-\(UUID().uuidString.prefix(6).lowercased())"
    let study = """
        study: {name: \(name), output: run, seed: 7}
        parameters:
          T0: {uniform: [100, 500]}
        sampler: {kind: sobol, count: 2}
        simulation:
          command: "/bin/true {{T0}}"
          fields: [{name: temperature, size: 40}]
          time_steps: 10
        training:
          model: {hidden: [8]}
          validation: {simulations: 0}
        execution:
          scheduler: slurm
          slurm:
            partition: \(environment["MELISSA_SLURM_PARTITION"] ?? "debug")
            account: \(environment["MELISSA_SLURM_ACCOUNT"] ?? "melissa")
            qos: \(environment["MELISSA_SLURM_QOS"] ?? "normal")
            launcher: srun
        """
    let file = root.appendingPathComponent("study.yaml")
    try study.write(to: file, atomically: true, encoding: .utf8)
    let planned = try await MelissaRun.run(["plan", file.path])
    #expect(planned.status == 0, "\(planned.standardError)")
    let run = root.appendingPathComponent("run")
    let runner = CommandRunner(timeout: 60)
    let submitted = try await runner.check([
        "sbatch", "--parsable", run.appendingPathComponent("scripts/server.sbatch").path,
    ])
    let id = try #require(JobID(submitted.output.trimmingCharacters(in: .whitespacesAndNewlines)))
    defer { _ = try? FileManager.default.removeItem(at: run.appendingPathComponent("server.address")) }
    // Listening: then the warning reaches the batch shell, as Slurm's --signal=B:USR1@N would send it.
    let address = run.appendingPathComponent("server.address")
    let deadline = Date().addingTimeInterval(60)
    while !FileManager.default.fileExists(atPath: address.path), Date() < deadline {
        try await Task.sleep(for: .milliseconds(200))
    }
    #expect(FileManager.default.fileExists(atPath: address.path), "the server did not listen")
    _ = try await runner.check(["scancel", "--signal=USR1", "--batch", String(describing: id)])
    let adapter = SlurmAdapter()
    var state: JobState?
    let ended = Date().addingTimeInterval(90)
    while Date() < ended {
        let statuses = try await adapter.query(
            JobQuery(names: [name + "-server"], since: Date(timeIntervalSinceNow: -600), expected: [id]))
        if let status = statuses.first(where: { $0.id == id }), status.state.isFinished {
            state = status.state
            break
        }
        try await Task.sleep(for: .milliseconds(500))
    }
    #expect(state == .timedOut)
    let log = try String(contentsOf: run.appendingPathComponent("logs/\(name)-server-\(id).out"), encoding: .utf8)
    #expect(log.contains("stopped on request at batch 0: checkpoint written"), "\(log)")
    #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent("checkpoint.melissa").path))
}
