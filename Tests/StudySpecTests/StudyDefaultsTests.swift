import Foundation
import Testing

@testable import StudySpec

@Test func aMinimalStudyGetsEveryDefault() throws {
    let yaml = """
        study: {name: tiny}
        parameters: {x: {uniform: [0, 1]}}
        sampler: {kind: monte-carlo, count: 3}
        simulation:
          command: ./run {{x}}
          fields: [u]
          time_steps: 5
        """
    let loaded = try StudyLoader.parse(yaml, fileName: "tiny.yaml", directory: URL(fileURLWithPath: "/data/studies"))
    let study = loaded.study
    #expect(study.info.output == "runs/tiny")
    #expect(study.info.seed == 0)
    #expect(loaded.resolve(study.info.output).path == "/data/studies/runs/tiny")
    #expect(study.sampler.scramble == .linearMatrix)
    #expect(study.simulation.resources == Resources())
    #expect(study.simulation.timeoutSeconds == 300)
    #expect(study.simulation.retries == 2)
    #expect(study.simulation.redrawAfter == 3)
    #expect(study.simulation.workingDirectory == "simulations/{{simulation_id}}")
    #expect(study.buffer == BufferSpec(policy: .reservoir, capacity: 6000, watermark: 1000))
    #expect(study.training == TrainingSpec())
    #expect(study.execution == ExecutionSpec())
    #expect(study.execution.slurm == nil)
}

@Test func everyKeyIsRead() throws {
    let yaml = """
        study: {name: full.study_1, output: /scratch/out, seed: 42, description: all keys}
        parameters:
          a: {log_uniform: [1.0e-3, 1]}
          b: {normal: {mean: 0, std: 2, lower: -1, upper: 3}}
          c: {integer: [1, 4]}
          d: {choice: [cg, gmres, 3]}
        sampler: {kind: sobol, count: 64, scramble: owen, seed: 9}
        simulation:
          command: srun ./solver {{a}} {{b}} {{c}} {{d}} --id {{simulation_id}}
          fields: [u, {name: v, size: 100}]
          time_steps: 10
          resources: {nodes: 2, tasks: 8, cpus_per_task: 4, memory: 1.5G, gpus: 1, walltime: "1-02:00:00"}
          timeout: 1h30m
          retries: 0
          redraw_after: 1
          environment: {OMP_NUM_THREADS: "4", LABEL: "run-{{simulation_id}}"}
          setup: [module load gcc, source env.sh]
          working_directory: /tmp/{{study_name}}/{{simulation_id}}
        buffer: {policy: firo, capacity: 100, watermark: 100}
        training:
          ranks: 2
          threads: 2
          model: {hidden: [64, 32, 16], activation: gelu}
          batch_size: 100
          optimizer: {kind: sgd, learning_rate: 0.1, weight_decay: 0, momentum: 0.5, decay_every_batches: 10, decay_factor: 0.9}
          validation: {simulations: 4, every_batches: 7, seed: 11}
          checkpoint_every_batches: 50
        execution:
          scheduler: slurm
          concurrency: {min: 3, max: 30}
          server: {nodes: 1, cpus_per_task: 8, memory: 16G, gpus: 1, walltime: "02:00:00"}
          slurm:
            partition: cpu
            account: proj123
            qos: normal
            constraint: "haswell|broadwell"
            reservation: res1
            directives: [--exclusive, --mail-type=END]
            server: {partition: gpu, gres: "gpu:1"}
            packing: jobs
            launcher: mpirun
            launcher_arguments: [--bind-to, core]
            signal_before_walltime: 5m
          local: {mpirun: /opt/mpi/bin/mpirun, mpirun_arguments: --oversubscribe}
        """
    let study = try StudyLoader.parse(yaml, fileName: "f.yaml", directory: URL(fileURLWithPath: "/x")).study
    #expect(study.info == StudyInfo(name: "full.study_1", output: "/scratch/out", seed: 42, description: "all keys"))
    #expect(
        study.parameters.map(\.distribution) == [
            .logUniform(lower: 1e-3, upper: 1), .normal(mean: 0, std: 2, lower: -1, upper: 3),
            .integerUniform(lower: 1, upper: 4), .choice([.text("cg"), .text("gmres"), .integer(3)]),
        ])
    #expect(study.sampler == SamplerSpec(kind: .sobol, count: 64, scramble: .owen, seed: 9))
    let simulation = study.simulation
    #expect(simulation.fields == [FieldSpec(name: "u"), FieldSpec(name: "v", size: 100)])
    #expect(
        simulation.resources
            == Resources(
                nodes: 2, tasks: 8, cpusPerTask: 4, memoryMiB: 1536, gpus: 1, walltime: Walltime(seconds: 93600)))
    #expect(simulation.timeoutSeconds == 5400)
    #expect(simulation.retries == 0 && simulation.redrawAfter == 1)
    #expect(simulation.environment.map(\.name) == ["OMP_NUM_THREADS", "LABEL"])
    #expect(simulation.setup == ["module load gcc", "source env.sh"])
    #expect(study.buffer == BufferSpec(policy: .firo, capacity: 100, watermark: 100))
    #expect(study.training.ranks == 2 && study.training.threads == 2)
    #expect(study.training.model == ModelSpec(hidden: [64, 32, 16], activation: .gelu))
    #expect(
        study.training.optimizer
            == OptimizerSpec(
                kind: .sgd, learningRate: 0.1, weightDecay: 0, momentum: 0.5, decayEveryBatches: 10, decayFactor: 0.9))
    #expect(study.training.validation == ValidationSpec(simulations: 4, everyBatches: 7, seed: 11))
    #expect(study.training.checkpointEveryBatches == 50)
    let execution = study.execution
    #expect(execution.concurrency == Concurrency(min: 3, max: 30))
    #expect(execution.server.memoryMiB == 16384 && execution.server.gpus == 1)
    let slurm = try #require(execution.slurm)
    #expect(slurm.job.constraint == "haswell|broadwell")
    #expect(slurm.job.directives == ["--exclusive", "--mail-type=END"])
    #expect(slurm.server.filled(from: slurm.job).partition == "gpu")
    #expect(slurm.server.filled(from: slurm.job).account == "proj123")
    #expect(slurm.packing == .jobs && slurm.launcher == .mpirun)
    #expect(slurm.launcherArguments == ["--bind-to", "core"])
    #expect(slurm.signalSecondsBeforeWalltime == 300)
    #expect(execution.local == LocalOptions(mpirun: "/opt/mpi/bin/mpirun", mpirunArguments: ["--oversubscribe"]))
}

@Test func gridLevelsDefaultToTheChoices() throws {
    let yaml = """
        study: {name: grid}
        parameters: {x: {uniform: [0, 1]}, method: {choice: [a, b, c]}, n: {integer: [1, 2]}}
        sampler: {kind: grid, levels: {x: 4}}
        simulation:
          command: ./run {{x}} {{method}} {{n}}
          fields: [u]
          time_steps: 5
        """
    let study = try StudyLoader.parse(yaml, fileName: "g.yaml", directory: URL(fileURLWithPath: "/")).study
    #expect(study.sampler.levels == [4, 3, 2])
    #expect(study.sampler.count == 24)
}

@Test func theExampleStudiesAreValid() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    let examples = try FileManager.default.subpathsOfDirectory(atPath: root.appendingPathComponent("workflows").path)
        .filter { $0.hasSuffix(".yaml") }
    #expect(examples.count >= 2)
    for example in examples {
        _ = try StudyLoader.load(contentsOf: root.appendingPathComponent("workflows").appendingPathComponent(example))
    }
}

@Test func aFieldShapeGivesItsSizeWhenTheSizeIsLeftOut() throws {
    let yaml = """
        study: {name: tiny}
        parameters: {x: {uniform: [0, 1]}}
        sampler: {kind: monte-carlo, count: 3}
        simulation:
          command: ./run {{x}}
          fields: [{name: u, shape: [30, 40]}, {name: v, size: 7, shape: [7]}, w]
          time_steps: 5
        """
    let study = try StudyLoader.parse(yaml, fileName: "tiny.yaml", directory: URL(fileURLWithPath: "/tmp")).study
    #expect(
        study.simulation.fields == [
            FieldSpec(name: "u", size: 1200, shape: [30, 40]), FieldSpec(name: "v", size: 7, shape: [7]),
            FieldSpec(name: "w"),
        ])
}
