import Foundation
import MelissaTestSupport
import PlanModel
import Planning
import StudySpec
import Testing

/// Runs `sbatch --test-only` on every generated batch file; needs a Slurm cluster (`MELISSA_SLURM_CLUSTER=1`,
/// see scripts/slurm-test-cluster).
@Suite struct SlurmTests {
    static let environment = ProcessInfo.processInfo.environment

    /// The test cluster's own account, QOS and partition (scripts/slurm-test-cluster exports them).
    static var clusterOptions: SlurmJobOptions {
        SlurmJobOptions(
            partition: environment["MELISSA_SLURM_PARTITION"], account: environment["MELISSA_SLURM_ACCOUNT"],
            qos: environment["MELISSA_SLURM_QOS"])
    }

    @Test(.requiresSlurm)
    func sbatchAcceptsEveryGeneratedFile() throws {
        let root = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        for packing in [SlurmOptions.Packing.array, .jobs] {
            var study = TestSupport.study(scheduler: .slurm, packing: packing, count: 3)
            // Options of the test cluster: its account, QOS and partition; no GPUs.
            study.execution.slurm?.job = Self.clusterOptions
            study.execution.slurm?.server = Self.clusterOptions
            study.execution.slurm?.maxArraySize = 2
            study.execution.server.gpus = 0
            study.execution.server.memoryMiB = nil
            study.simulation.resources.memoryMiB = nil
            study.simulation.resources.tasks = 1
            study.simulation.resources.cpusPerTask = 1
            study.execution.server.cpusPerTask = 1
            study.training.ranks = 1
            let directory = root.appendingPathComponent("study \(packing.rawValue)").path
            let plan = try TestSupport.plan(study, studyDirectory: directory)
            let result = try PlanWriter(templates: try TemplateSet()).write(plan)
            for file in result.files where file.hasSuffix(".sbatch") {
                let run = try TestSupport.run("/usr/bin/env", ["sbatch", "--test-only", directory + "/" + file])
                #expect(run.status == 0, "\(file): \(run.error)")
            }
            // Every chunk of the array, as the launcher submits it.
            for chunk in plan.scripts.arrays {
                let script = directory + "/" + (plan.scripts.simulations ?? "")
                let arguments = ["sbatch", "--test-only"] + chunk.sbatchArguments(throttle: 2) + [script]
                let run = try TestSupport.run("/usr/bin/env", arguments)
                #expect(run.status == 0, "\(arguments): \(run.error)")
            }
            #expect(plan.scripts.arrays.count == (packing == .array ? 3 : 0))
        }
    }

    /// Submits a planned job array for real, in chunks, and checks that every simulation ran once, in its own
    /// directory, with its own values (hostile ones included) and its own id.
    @Test(.requiresSlurm)
    func chunkedArrayRunsEverySimulationOnce() async throws {
        let root = try TestSupport.temporaryDirectory("melissa-slurm-run")
        defer { try? FileManager.default.removeItem(at: root) }
        let hostile = #"a'b "c" $(touch \#(root.path)/pwned) `id` ;x"#
        var study = Study(
            info: StudyInfo(name: "slurm-run-\(UUID().uuidString.prefix(8))", seed: 3),
            parameters: [
                Parameter(name: "x", distribution: .uniform(lower: 0, upper: 1)),
                Parameter(name: "label", distribution: .choice([.text(hostile), .text("plain")])),
            ],
            sampler: SamplerSpec(kind: .monteCarlo, count: 5),
            simulation: SimulationSpec(
                command: "printf '%s\\n' {{simulation_id}} {{x}} {{label}} > result.txt",
                fields: [FieldSpec(name: "u")], timeSteps: 1,
                resources: Resources(walltime: Walltime(seconds: 120))),
            execution: ExecutionSpec(scheduler: .slurm, server: Resources(walltime: Walltime(seconds: 300)))
        )
        study.execution.slurm = SlurmOptions(
            job: Self.clusterOptions, server: Self.clusterOptions, packing: .array, launcher: .srun,
            signalSecondsBeforeWalltime: 30, maxArraySize: 2)
        let directory = root.appendingPathComponent("study").path
        let plan = try TestSupport.plan(study, studyDirectory: directory)
        _ = try PlanWriter(templates: try TemplateSet()).write(plan)
        #expect(
            plan.scripts.arrays == [
                ArrayChunk(first: 0, count: 2), .init(first: 2, count: 2), .init(first: 4, count: 1),
            ])
        var jobs: [String] = []
        for chunk in plan.scripts.arrays {
            let arguments =
                ["sbatch", "--parsable"] + chunk.sbatchArguments(throttle: 2) + [
                    directory + "/scripts/simulations.sbatch"
                ]
            let run = try TestSupport.run("/usr/bin/env", arguments)
            try #require(run.status == 0, "\(run.error)")
            jobs.append(run.output.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        // Wait (bounded) until no task of these arrays is queued or running.
        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline {
            let queue = try TestSupport.run(
                "/usr/bin/env", ["squeue", "--noheader", "--jobs", jobs.joined(separator: ",")])
            if queue.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { break }
            // Not Thread.sleep: a blocked thread of the cooperative pool (2 on a 2-core machine) stalls other tests.
            try await Task.sleep(for: .milliseconds(500))
        }
        for job in plan.simulations {
            let result = "\(directory)/simulations/\(job.id)/result.txt"
            let lines = try String(contentsOfFile: result, encoding: .utf8).split(
                separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.count == 4, "\(result): \(lines)")
            #expect(lines.first.map(String.init) == String(job.id))
            #expect(lines.dropFirst(2).first.map(String.init) == plan.namedValues(of: job).last?.value.description)
        }
        #expect(!FileManager.default.fileExists(atPath: root.path + "/pwned"))
    }
}
