import Foundation
import PlanModel
import Planning
import StudySpec
import Testing

/// Plans with workers (`execution.workers`): what plan.json says of them and the scripts they run.
@Suite struct WorkerPlanTests {
    static func study(_ scheduler: ExecutionSpec.Scheduler, walltime: Walltime? = Walltime(seconds: 14_400)) -> Study {
        var study = TestSupport.study(scheduler: scheduler)
        study.execution.workers = WorkersSpec(count: 3, walltime: walltime)
        return study
    }

    @Test(arguments: [ExecutionSpec.Scheduler.local, .slurm])
    func planRecordsTheWorkers(scheduler: ExecutionSpec.Scheduler) throws {
        let plan = try TestSupport.plan(Self.study(scheduler))
        let workers = try #require(plan.workers)
        #expect(workers.count == 3)
        #expect(workers.walltime == Walltime(seconds: 14_400))
        #expect(workers.jobName == "heat-worker")
        #expect(workers.script == (scheduler == .local ? "scripts/worker.sh" : "scripts/worker.sbatch"))
        #expect(workers.command == [TestSupport.melissa, "worker", TestSupport.studyDirectory])
        // Every simulation runs through one script, on either scheduler; Slurm's packing does not apply.
        #expect(plan.scripts.simulations == "scripts/simulation.sh")
        #expect(plan.scripts.arrays.isEmpty)
        #expect(plan.packing == nil)
        #expect(plan.simulations.allSatisfy { plan.simulationScript($0.id) == nil })
        // What is requested: the server and the three workers for their walltime.
        #expect(plan.totals.jobs == 4)
        // The server: 2 ranks × 4 CPUs for 2 h; each worker: 4 tasks × 2 CPUs for 4 h.
        #expect(abs(plan.totals.coreHours - (2 * 4 * 2 + 3 * 4 * 2 * 4)) < 1e-9)
        // plan.json keeps them.
        let decoded = try PlanWriter.decode(try PlanWriter.encode(plan))
        #expect(decoded.workers == plan.workers)
    }

    @Test func theWorkersTakeTheServersWalltimeByDefault() throws {
        let plan = try TestSupport.plan(Self.study(.local, walltime: nil))
        #expect(plan.workers?.walltime == Walltime(seconds: 7200))
    }

    @Test func aPlanWithoutWorkersHasNone() throws {
        let plan = try TestSupport.plan(TestSupport.study(scheduler: .slurm))
        #expect(plan.workers == nil)
        #expect(plan.packing == .array)
        let json = String(decoding: try PlanWriter.encode(plan), as: UTF8.self)
        #expect(!json.contains("\"workers\""))
    }

    @Test(arguments: [ExecutionSpec.Scheduler.local, .slurm])
    func workerScriptsAreWrittenAndPassBash(scheduler: ExecutionSpec.Scheduler) throws {
        let plan = try TestSupport.plan(Self.study(scheduler))
        let renderer = ScriptRenderer(templates: try TemplateSet())
        let files = try renderer.files(for: plan)
        let executables = files.filter(\.executable).map(\.path).sorted()
        #expect(
            executables == [plan.server.script, "scripts/simulation.sh", try #require(plan.workers?.script)].sorted())
        for file in files where file.executable {
            #expect(try TestSupport.bashSyntaxErrors(file.contents) == nil, "\(file.path)")
        }
        let worker = try renderer.workerScript(plan)
        #expect(worker.contains("export MELISSA_WORKER_WALLTIME='14400'"))
        #expect(worker.contains("exec '\(TestSupport.melissa)' 'worker' '\(TestSupport.studyDirectory)'"))
        let simulation = try renderer.simulationsScript(plan)
        #expect(simulation.contains("export MELISSA_SIMULATION_ID=\"${1:?usage: simulation.sh SIMULATION_ID}\""))
        if scheduler == .slurm {
            // A worker job asks for one simulation's resources, for the workers' walltime; its simulations' MPI
            // start as srun steps inside it.
            for directive in [
                "#SBATCH --job-name=heat-worker", "#SBATCH --ntasks=4", "#SBATCH --cpus-per-task=2",
                "#SBATCH --time=04:00:00", "#SBATCH --partition=cpu", "#SBATCH --signal=B:USR1@90",
            ] {
                #expect(worker.contains(directive), "\(directive)")
            }
            #expect(simulation.contains("melissa_launch=('srun' '--mpi=pmix')"))
        }
    }

    @Test func goldenWorkerScripts() throws {
        let renderer = ScriptRenderer(templates: try TemplateSet())
        try ScriptTests().expectGolden(
            try renderer.workerScript(try TestSupport.plan(Self.study(.local))), "local-worker.sh")
        try ScriptTests().expectGolden(
            try renderer.workerScript(try TestSupport.plan(Self.study(.slurm))), "slurm-worker.sbatch")
    }
}
