import Foundation
import Launching
import MelissaTestSupport
import Testing
import Training

/// The heat-equation study trained by the PyTorch backend (`training.backend: pytorch`, the paper's MLP of
/// workflows/heat-pde-torch/surrogate.py), end to end with the real `melissa launch`: the C client in every heat-pde
/// run streams to the server, whose rank(s) drive their PyTorch trainer process(es); the model is exported as
/// TorchScript inside model.melissa and `melissa predict` answers from it.
enum TorchHeatStudy {
    static func study(
        scheduler: String, ranks: Int, name: String, module file: String = "surrogate.py",
        options: String = "{hidden: [32]}"
    ) -> String {
        let environment = ProcessInfo.processInfo.environment
        let heat = repositoryRoot.appendingPathComponent("build/bin/heat-pde").path
        let module = repositoryRoot.appendingPathComponent("workflows/heat-pde-torch/\(file)").path
        let python = HostTools.python(with: "torch") ?? "python3"
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
              fields: [{name: temperature, size: 400, shape: [20, 20]}]
              time_steps: 10
              resources: {nodes: 1, tasks: 1, walltime: "00:05:00"}
            buffer: {policy: reservoir, capacity: 200, watermark: 20}
            training:
              ranks: \(ranks)
              backend: pytorch
              pytorch: {module: \(module), device: cpu, python: \(python), options: \(options)}
              validation: {simulations: 1, every_batches: 20, require_skill: false}
            execution:
              concurrency: {min: 1, max: 2}
              server: {walltime: "00:10:00"}
            \(execution)
            """
    }

    /// Runs the study and checks what it delivered.
    static func run(
        scheduler: String, ranks: Int, module: String = "surrogate.py", options: String = "{hidden: [32]}"
    ) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("melissa-torch-heat-\(UUID())")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let name = "heatt-\(UUID().uuidString.prefix(6).lowercased())"
        let file = root.appendingPathComponent("study.yaml")
        try study(scheduler: scheduler, ranks: ranks, name: name, module: module, options: options).write(
            to: file, atomically: true, encoding: .utf8)
        let launch = try await MelissaRun.run(["launch", file.path, "--poll", "0.5", "--heartbeat", "1"])
        #expect(launch.status == 0, "\(launch.standardOutput)\n\(launch.standardError)")
        #expect(launch.standardOutput.contains("study complete: 7 simulations done"), "\(launch.standardOutput)")
        let run = root.appendingPathComponent("run")
        let plan = try String(contentsOf: run.appendingPathComponent("plan.json"), encoding: .utf8)
        #expect(
            plan.contains("\"backend\" : \"pytorch\"") || plan.contains("\"backend\":\"pytorch\""),
            "the plan records it")
        let logs = try FileManager.default.contentsOfDirectory(atPath: run.appendingPathComponent("logs").path)
        // Every log together (the server's is named by the scheduler: locally `<study>-server.out`, on Slurm by job).
        let serverLog = logs.compactMap {
            try? String(contentsOf: run.appendingPathComponent("logs/\($0)"), encoding: .utf8)
        }.joined(separator: "\n")
        #expect(serverLog.contains("PyTorch trainer: make_model of "), "\(serverLog)")
        if ranks == 2 { #expect(serverLog.contains("rank 1: PyTorch trainer: "), "\(serverLog)") }
        let metrics = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        let last = try #require(metrics.split(separator: "\n").last)
        let record = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        #expect(record["received"] as? Int == 70, "every (simulation, step) received once: \(record)")
        #expect((record["relative_l2"] as? Double ?? .nan).isFinite, "validated: \(record)")
        let model = run.appendingPathComponent("model.melissa")
        #expect(TorchModelFile.isTorchModel(try Data(contentsOf: model)))
        let predicted = try await MelissaRun.run([
            "predict", model.path, "--param", "T0=300", "--param", "T1=200", "--param", "T2=250", "--param", "T3=400",
            "--param", "T4=150", "--step", "5",
        ])
        #expect(predicted.status == 0, "\(predicted.standardError)")
        let values = predicted.standardOutput.split(separator: "\n").compactMap { Double($0) }
        #expect(values.count == 400 && values.allSatisfy { $0 > 0 && $0 < 1000 }, "\(values.prefix(5))")
        let report = try String(contentsOf: run.appendingPathComponent("report/index.html"), encoding: .utf8)
        #expect(report.contains("PyTorch make_model of \(module)"))
    }
}

@Suite("heat study, PyTorch backend, local", .serialized)
struct TorchHeatLocalTests {
    @Test(.requiresHeatSolver, .requiresPython("torch"), .requiresProduct("melissa"), arguments: [1, 2])
    func theHeatStudyTrainsWithPyTorchLocally(ranks: Int) async throws {
        try await TorchHeatStudy.run(scheduler: "local", ranks: ranks)
    }

    /// The example CNN (workflows/heat-pde-torch/cnn.py), which the native trainer cannot express: the field's
    /// shape reaches it through config["fields"].
    @Test(.requiresHeatSolver, .requiresPython("torch"), .requiresProduct("melissa"))
    func theHeatStudyTrainsTheExampleCNN() async throws {
        try await TorchHeatStudy.run(
            scheduler: "local", ranks: 1, module: "cnn.py", options: "{coarse: 5, channels: 8, upsamplings: 2}")
    }
}

@Suite("heat study, PyTorch backend, Slurm", .serialized)
struct SlurmTorchHeatTests {
    @Test(
        .requiresSlurm, .requiresHeatSolver, .requiresPython("torch"), .requiresProduct("melissa"), arguments: [1, 2])
    func theHeatStudyTrainsWithPyTorchOnSlurm(ranks: Int) async throws {
        try await TorchHeatStudy.run(scheduler: "slurm", ranks: ranks)
    }
}
