import Foundation
import Planning
import StudySpec
import Testing

/// Runs `sbatch --test-only` on every generated batch file; needs a Slurm cluster (`MELISSA_SLURM_CLUSTER=1`,
/// see scripts/slurm-test-cluster).
@Suite struct SlurmTests {
    static let enabled = ProcessInfo.processInfo.environment["MELISSA_SLURM_CLUSTER"] == "1"

    @Test(.enabled(if: enabled, "set MELISSA_SLURM_CLUSTER=1 with a running Slurm (scripts/slurm-test-cluster)"))
    func sbatchAcceptsEveryGeneratedFile() throws {
        let root = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        for packing in [SlurmOptions.Packing.array, .jobs] {
            var study = TestSupport.study(scheduler: .slurm, packing: packing, count: 3)
            // Options of the test cluster: no accounts, QOS or GPUs; its default partition.
            study.execution.slurm?.job = SlurmJobOptions()
            study.execution.slurm?.server = SlurmJobOptions()
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
        }
    }
}
