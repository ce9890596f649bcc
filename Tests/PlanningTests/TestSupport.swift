import Foundation
import MelissaTestSupport
import PlanModel
import Planning
import Sampling
import StudySpec
import Testing

/// Studies and helpers shared by the planning tests.
enum TestSupport {
    static let studyDirectory = "/scratch/melissa/heat"
    static let studyFileDirectory = URL(fileURLWithPath: "/home/alice/studies")
    static let melissa = "/opt/melissa/bin/melissa"

    /// A small study: 3 parameters, Sobol, 8 training + 2 validation simulations.
    static func study(
        scheduler: ExecutionSpec.Scheduler = .local, packing: SlurmOptions.Packing = .array, count: Int = 8
    ) -> Study {
        var study = Study(
            info: StudyInfo(name: "heat", output: "runs/heat", seed: 42),
            parameters: [
                Parameter(name: "T0", distribution: .uniform(lower: 100, upper: 500)),
                Parameter(name: "n", distribution: .integerUniform(lower: 1, upper: 8)),
                Parameter(name: "solver", distribution: .choice([.text("cg"), .text("gmres")])),
            ],
            sampler: SamplerSpec(kind: .sobol, count: count, scramble: .none),
            simulation: SimulationSpec(
                command: "{{study_file_dir}}/bin/heat --steps {{time_steps}} --t0 {{T0}} -n {{n}} --solver {{solver}} "
                    + "--run {{simulation_id}}.{{attempt}}",
                fields: [FieldSpec(name: "temperature", size: 100), FieldSpec(name: "flux")],
                timeSteps: 50,
                resources: Resources(
                    nodes: 1, tasks: 4, cpusPerTask: 2, memoryMiB: 2048, walltime: Walltime(seconds: 1800)),
                timeoutSeconds: 60,
                retries: 2,
                redrawAfter: 3,
                environment: [
                    EnvironmentVariable(name: "OMP_NUM_THREADS", value: "2"),
                    EnvironmentVariable(name: "HEAT_TAG", value: "{{study_name}}-{{simulation_id}}-{{attempt}}"),
                ],
                setup: ["module load openmpi/4.1", "source \"$HOME/heat-env.sh\""]
            ),
            training: TrainingSpec(ranks: 2, validation: ValidationSpec(simulations: 2)),
            execution: ExecutionSpec(
                scheduler: scheduler,
                concurrency: Concurrency(min: 2, max: 3),
                server: Resources(nodes: 1, cpusPerTask: 4, memoryMiB: 8192, gpus: 1, walltime: Walltime(seconds: 7200))
            )
        )
        if scheduler == .slurm {
            study.execution.slurm = SlurmOptions(
                job: SlurmJobOptions(partition: "cpu", account: "proj123", directives: ["--exclusive"]),
                server: SlurmJobOptions(partition: "gpu", qos: "long", gres: "gpu:1"),
                packing: packing,
                launcher: .srun,
                launcherArguments: ["--mpi=pmix"],
                signalSecondsBeforeWalltime: 90
            )
        }
        return study
    }

    static func input(_ study: Study, studyDirectory: String = studyDirectory) -> PlanInput {
        PlanInput(
            study: study,
            studyFileDirectory: studyFileDirectory,
            studyDirectory: URL(fileURLWithPath: studyDirectory),
            melissaExecutable: melissa
        )
    }

    static func plan(_ study: Study, studyDirectory: String = studyDirectory) throws -> Plan {
        try Planner.plan(input(study, studyDirectory: studyDirectory))
    }

    /// A fresh temporary directory.
    static func temporaryDirectory(_ name: String = "melissa-planning") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs a program; returns its exit status and standard error.
    @discardableResult
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, directory: URL? = nil
    ) throws -> (status: Int32, output: String, error: String) {
        let result = try ProcessRunner.run(executable, arguments, environment: environment, directory: directory)
        return (result.status, result.standardOutput, result.standardError)
    }

    /// `bash -n` on a script's text.
    static func bashSyntaxErrors(_ script: String) throws -> String? {
        let directory = try temporaryDirectory("bash-n")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("script.sh")
        try script.write(to: file, atomically: true, encoding: .utf8)
        let result = try run("/bin/bash", ["-n", file.path])
        return result.status == 0 ? nil : result.error
    }

    /// The source directory of these tests (golden files are read and written there).
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
}
