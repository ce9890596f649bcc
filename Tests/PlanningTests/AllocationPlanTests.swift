import Foundation
import MelissaTestSupport
import PlanModel
import Planning
import StudySpec
import Testing

/// `execution.slurm.allocation: single`: the allocation's layout and sizes, its batch script and the step scripts.
@Suite("single allocation plans")
struct AllocationPlanTests {
    /// The shared test study on Slurm in one allocation (server: gpu partition, 2 ranks × 4 CPUs, 8 GiB, 1 GPU;
    /// simulations: cpu partition, 4 tasks × 2 CPUs, 2 GiB; at most 3 at once; 2 h).
    static func study(layout: SlurmOptions.AllocationLayout = .auto, sameOptions: Bool = false) -> Study {
        var study = TestSupport.study(scheduler: .slurm)
        study.execution.slurm?.allocation = .single
        study.execution.slurm?.allocationLayout = layout
        if sameOptions {
            study.execution.slurm?.server = SlurmJobOptions()
            study.execution.server.gpus = 0
        }
        return study
    }

    @Test("auto: heterogeneous when the server's options differ; sized from the study")
    func heterogeneousSizes() throws {
        let plan = try TestSupport.plan(Self.study())
        let allocation = try #require(plan.allocation)
        #expect(allocation.layout == .heterogeneous)
        #expect(allocation.reason == "the server's Slurm options differ from the simulations'")
        #expect(allocation.jobName == "heat-allocation" && allocation.script == "scripts/heat-allocation.sbatch")
        #expect(allocation.walltime.seconds == 7200)
        #expect(allocation.launcherCommand == [TestSupport.melissa, "launch", TestSupport.studyDirectory, "--resume"])
        let server = SlurmJobOptions(
            partition: "gpu", account: "proj123", qos: "long", gres: "gpu:1", directives: ["--exclusive"])
        #expect(
            allocation.components == [
                AllocationComponent(
                    holds: [.server], minimumNodes: 1, maximumNodes: 1, tasks: 2, cpusPerTask: 4,
                    memoryPerCpuMib: 1024, gpus: 1, slurm: server),
                AllocationComponent(
                    holds: [.simulations], minimumNodes: 1, maximumNodes: 3, tasks: 12, cpusPerTask: 2,
                    memoryPerCpuMib: 256, gpus: 0,
                    slurm: SlurmJobOptions(partition: "cpu", account: "proj123", directives: ["--exclusive"])),
            ])
        #expect(
            plan.server.launcher == [
                "srun", "--het-group=0", "--exact", "--nodes=1", "--ntasks=2", "--cpus-per-task=4",
                "--mem-per-cpu=1024M", "--gres=gpu:1", "--mpi=pmix",
            ])
        #expect(
            plan.simulation.launcher == [
                "srun", "--het-group=1", "--exact", "--nodes=1", "--ntasks=4", "--cpus-per-task=2",
                "--mem-per-cpu=256M", "--mpi=pmix",
            ])
        // No job of its own: the scripts are run by the launcher inside the allocation.
        #expect(plan.server.script == "scripts/server.sh" && plan.scripts.simulations == "scripts/simulation.sh")
        #expect(plan.scripts.arrays.isEmpty && plan.packing == nil)
        #expect(plan.totals.jobs == 1)
        #expect(plan.totals.coreHours == Double(2 * 4 + 12 * 2) * 2)
        #expect(plan.totals.gpuHours == 2)
    }

    @Test("auto: plain when the server and the simulations share their options and no GPU; forced either way")
    func theLayoutRule() throws {
        let plain = try #require(try TestSupport.plan(Self.study(sameOptions: true)).allocation)
        #expect(plain.layout == .plain)
        #expect(plain.reason == "the server and the simulations share their Slurm options and no GPU")
        #expect(
            plain.components == [
                AllocationComponent(
                    holds: [.server, .simulations], minimumNodes: 1, maximumNodes: 4, tasks: 14, cpusPerTask: 4,
                    memoryPerCpuMib: 1024, gpus: 0,
                    slurm: SlurmJobOptions(partition: "cpu", account: "proj123", directives: ["--exclusive"]))
            ])
        let steps = try TestSupport.plan(Self.study(sameOptions: true))
        #expect(!steps.server.launcher.contains { $0.hasPrefix("--het-group") })
        #expect(try TestSupport.plan(Self.study(layout: .plain)).allocation?.layout == .plain)
        let forced = try TestSupport.plan(Self.study(layout: .heterogeneous, sameOptions: true)).allocation
        #expect(forced?.layout == .heterogeneous && forced?.reason == "allocation_layout: heterogeneous")
        var gpus = Self.study(sameOptions: true)
        gpus.simulation.resources.gpus = 1
        #expect(try TestSupport.plan(gpus).allocation?.reason == "GPUs are asked for")
    }

    @Test("the allocation script: each component's directives, hetjob between them, melissa launch --resume")
    func theAllocationScript() throws {
        let plan = try TestSupport.plan(Self.study())
        let files = try ScriptRenderer(templates: TemplateSet()).files(for: plan)
        let script = try #require(files.first { $0.path == "scripts/heat-allocation.sbatch" })
        #expect(script.executable)
        let directives = script.contents.split(separator: "\n").filter { $0.hasPrefix("#SBATCH") }.map(String.init)
        #expect(
            directives == [
                "#SBATCH --job-name=heat-allocation",
                "#SBATCH --output=/scratch/melissa/heat/logs/heat-allocation-%j.out",
                "#SBATCH --error=/scratch/melissa/heat/logs/heat-allocation-%j.err",
                "#SBATCH --open-mode=append",
                "#SBATCH --nodes=1", "#SBATCH --ntasks=2", "#SBATCH --cpus-per-task=4",
                "#SBATCH --mem-per-cpu=1024M", "#SBATCH --time=02:00:00", "#SBATCH --partition=gpu",
                "#SBATCH --account=proj123", "#SBATCH --qos=long", "#SBATCH --gres=gpu:1",
                "#SBATCH --signal=B:USR1@90", "#SBATCH --export=ALL", "#SBATCH --exclusive",
                "#SBATCH hetjob",
                "#SBATCH --nodes=1-3", "#SBATCH --ntasks=12", "#SBATCH --cpus-per-task=2",
                "#SBATCH --mem-per-cpu=256M", "#SBATCH --time=02:00:00", "#SBATCH --partition=cpu",
                "#SBATCH --account=proj123", "#SBATCH --exclusive",
            ])
        #expect(
            script.contents.contains(
                "melissa_launcher=('/opt/melissa/bin/melissa' 'launch' '/scratch/melissa/heat' '--resume')\n"
                    + "\"${melissa_launcher[@]}\" \"$@\" &"))
        #expect(script.contents.contains("kill -USR1 \"$melissa_child\" 2>/dev/null' USR1 TERM INT"))
        // The step scripts: the allocation's srun, their own memory share, named after their job.
        let server = try #require(files.first { $0.path == "scripts/server.sh" }).contents
        #expect(server.contains("melissa_launch=('srun' '--het-group=0' '--exact'"))
        #expect(server.contains("unset SLURM_MEM_PER_NODE SLURM_MEM_PER_CPU SLURM_MEM_PER_GPU"))
        #expect(server.contains("melissa_launch+=(--job-name='heat-server'.\"${MELISSA_JOB_ID:-0}\")"))
        #expect(server.contains("as a step of the study's Slurm allocation"))
        let simulation = try #require(files.first { $0.path == "scripts/simulation.sh" }).contents
        #expect(simulation.contains("melissa_launch=('srun' '--het-group=1' '--exact'"))
        #expect(simulation.contains("melissa_launch+=(--job-name='heat-sim'.\"${MELISSA_JOB_ID:-0}\")"))
        #expect(!files.contains { $0.path.hasSuffix("simulations.sbatch") || $0.path.hasSuffix("server.sbatch") })
    }

    @Test("every script of a single-allocation plan is valid bash; a local plan's are as before")
    func scriptsParse() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let plan = try TestSupport.plan(Self.study(), studyDirectory: directory.path)
        _ = try PlanWriter(templates: TemplateSet()).write(plan)
        for name in ["heat-allocation.sbatch", "server.sh", "simulation.sh"] {
            let result = try ProcessRunner.run("/bin/bash", ["-n", directory.path + "/scripts/" + name])
            #expect(result.status == 0, "\(name): \(result.standardError)")
        }
        let local = try ScriptRenderer(templates: TemplateSet()).serverScript(TestSupport.plan(TestSupport.study()))
        #expect(local.contains("run on this machine") && !local.contains("SLURM_MEM"))
    }

    @Test("the shipped single-allocation heat study plans into a heterogeneous job")
    func theWorkflowPlans() throws {
        let repository = TestSupport.testsDirectory.deletingLastPathComponent().deletingLastPathComponent()
        let loaded = try StudyLoader.load(
            contentsOf: repository.appendingPathComponent("workflows/heat-pde/study-allocation.yaml"))
        let plan = try Planner.plan(
            PlanInput(loaded: loaded, studyDirectory: URL(fileURLWithPath: "/tmp/heat-pde"), melissaExecutable: "/m"))
        let allocation = try #require(plan.allocation)
        #expect(allocation.layout == .heterogeneous && allocation.script == "scripts/heat-pde-single-allocation.sbatch")
        #expect(allocation.components.map(\.tasks) == [2, 256])
        #expect(allocation.components.map(\.gpus) == [1, 0])
    }

    @Test("the allocation survives plan.json")
    func roundTrip() throws {
        let plan = try TestSupport.plan(Self.study())
        let decoded = try PlanWriter.decode(PlanWriter.encode(plan))
        #expect(decoded.allocation == plan.allocation)
        let json = String(decoding: try PlanWriter.encode(plan), as: UTF8.self)
        #expect(json.contains("\"memory_per_cpu_mib\" : 1024") || json.contains("\"memory_per_cpu_mib\":1024"))
    }
}
