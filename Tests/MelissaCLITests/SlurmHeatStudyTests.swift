import Foundation
import Testing

/// The heat-equation study, end to end on the real single-node Slurm test cluster (scripts/slurm-test-cluster):
/// `melissa launch` plans it, submits the server (srun) and the simulations (one job array of heat-pde runs, srun),
/// which stream to the server over the node's host name; the server trains and exports the model.
@Test(
    .enabled(
        if: ProcessInfo.processInfo.environment["MELISSA_SLURM_CLUSTER"] == "1"
            && FileManager.default.isExecutableFile(
                atPath: repositoryRoot.appendingPathComponent("build/bin/heat-pde").path),
        "needs the Slurm test cluster (MELISSA_SLURM_CLUSTER=1) and build/bin/heat-pde (scripts/build-clients)"))
func theHeatStudyRunsOnSlurm() throws {
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
          model: {hidden: [32]}
          validation: {simulations: 1, every_batches: 20}
        execution:
          scheduler: slurm
          concurrency: {min: 1, max: 2}
          server: {walltime: "00:10:00"}
          slurm:
            partition: \(environment["MELISSA_SLURM_PARTITION"] ?? "debug")
            account: \(environment["MELISSA_SLURM_ACCOUNT"] ?? "melissa")
            qos: \(environment["MELISSA_SLURM_QOS"] ?? "normal")
            launcher: srun
            signal_before_walltime: 30s
        """
    let file = root.appendingPathComponent("study.yaml")
    try study.write(to: file, atomically: true, encoding: .utf8)
    let launch = try MelissaRun.run(["launch", file.path, "--poll", "0.5"])
    #expect(launch.status == 0, "\(launch.standardOutput)\n\(launch.standardError)")
    #expect(launch.standardOutput.contains("study complete: 5 simulations done"), "\(launch.standardOutput)")
    let run = root.appendingPathComponent("run")
    #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent("model.melissa").path))
    let metrics = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
    let last = try #require(metrics.split(separator: "\n").last)
    let record = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
    #expect(record["received"] as? Int == 50, "every (simulation, step) received once: \(record)")
}
