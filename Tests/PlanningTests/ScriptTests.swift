import Foundation
import PlanModel
import Planning
import StudySpec
import Testing

@Suite struct ScriptTests {
    static let goldenDirectory = TestSupport.testsDirectory.appendingPathComponent("Fixtures/golden")

    /// Compares `text` with a golden file; `MELISSA_UPDATE_GOLDEN=1` rewrites the file instead.
    func expectGolden(_ text: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = Self.goldenDirectory.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["MELISSA_UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: Self.goldenDirectory, withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        let golden = try String(contentsOf: url, encoding: .utf8)
        #expect(
            text == golden, "\(name) differs from its golden file; MELISSA_UPDATE_GOLDEN=1 rewrites it",
            sourceLocation: sourceLocation)
    }

    func renderer() throws -> ScriptRenderer {
        ScriptRenderer(templates: try TemplateSet())
    }

    @Test func goldenSlurmArray() throws {
        let plan = try TestSupport.plan(TestSupport.study(scheduler: .slurm))
        try expectGolden(try renderer().simulationsScript(plan), "slurm-simulations.sbatch")
        try expectGolden(try renderer().valuesFile(plan), "simulations.values")
    }

    /// Schema 2 renders each simulation from the template and its row: the same lines as schema 1's command file
    /// (`simulations.commands`, the golden file of the last plan that stored them), byte for byte.
    @Test func renderingEqualsTheVersionOneCommandLines() throws {
        let plan = try TestSupport.plan(TestSupport.study(scheduler: .slurm))
        let url = Self.goldenDirectory.appendingPathComponent("simulations.commands")
        let old = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(old.count == plan.simulations.count)
        for (job, line) in zip(plan.simulations, old) {
            #expect(try plan.commandLine(simulation: job.id) == line, "simulation \(job.id)")
        }
    }

    @Test func goldenSlurmJobs() throws {
        let plan = try TestSupport.plan(TestSupport.study(scheduler: .slurm, packing: .jobs))
        try expectGolden(try renderer().simulationScript(plan, 9), "slurm-simulation-9.sbatch")
    }

    @Test func goldenSlurmServer() throws {
        let plan = try TestSupport.plan(TestSupport.study(scheduler: .slurm))
        try expectGolden(try renderer().serverScript(plan), "slurm-server.sbatch")
    }

    @Test func goldenLocal() throws {
        let plan = try TestSupport.plan(TestSupport.study())
        try expectGolden(try renderer().serverScript(plan), "local-server.sh")
        try expectGolden(try renderer().simulationsScript(plan), "local-simulation.sh")
    }

    @Test(arguments: [
        (ExecutionSpec.Scheduler.local, SlurmOptions.Packing.array),
        (.slurm, .array),
        (.slurm, .jobs),
    ])
    func everyScriptPassesBashSyntaxCheck(scheduler: ExecutionSpec.Scheduler, packing: SlurmOptions.Packing) throws {
        let plan = try TestSupport.plan(TestSupport.study(scheduler: scheduler, packing: packing))
        let files = try renderer().files(for: plan)
        #expect(files.filter(\.executable).count == (packing == .jobs ? 11 : 2))
        for file in files where file.executable {
            #expect(try TestSupport.bashSyntaxErrors(file.contents) == nil, "\(file.path)")
        }
        // The values file is shell words too: each line parses.
        let values = try renderer().valuesFile(plan)
        #expect(try TestSupport.bashSyntaxErrors(values) == nil)
        #expect(values.split(separator: "\n").count == plan.simulations.count)
    }

    @Test func sbatchDirectives() throws {
        let plan = try TestSupport.plan(TestSupport.study(scheduler: .slurm))
        let array = try renderer().simulationsScript(plan)
        for directive in [
            "--job-name=heat-sim", "--output=/scratch/melissa/heat/logs/heat-sim-%A_%a.out",
            "--error=/scratch/melissa/heat/logs/heat-sim-%A_%a.err", "--open-mode=append", "--nodes=1", "--ntasks=4",
            "--cpus-per-task=2", "--mem=2048M", "--time=00:30:00", "--partition=cpu", "--account=proj123",
            "--signal=B:USR1@90", "--export=ALL", "--array=0-9%3", "--exclusive",
        ] {
            #expect(array.contains("#SBATCH \(directive)\n"), "\(directive)")
        }
        let server = try renderer().serverScript(plan)
        for directive in [
            "--job-name=heat-server", "--output=/scratch/melissa/heat/logs/heat-server-%j.out", "--ntasks=2",
            "--cpus-per-task=4", "--mem=8192M", "--time=02:00:00", "--partition=gpu", "--account=proj123",
            "--qos=long", "--gres=gpu:1",
        ] {
            #expect(server.contains("#SBATCH \(directive)\n"), "\(directive)")
        }
        #expect(!server.contains("--gpus-per-node"))
    }

    @Test func directivesQuoteOrRejectHostileValues() throws {
        var study = TestSupport.study(scheduler: .slurm)
        let plan = try TestSupport.plan(study, studyDirectory: "/scratch/my study #1/100%")
        let script = try renderer().simulationsScript(plan)
        #expect(script.contains("#SBATCH --output=\"/scratch/my study #1/100%%/logs/heat-sim-%A_%a.out\"\n"))
        study.execution.slurm?.job.partition = "cpu\n#SBATCH --uid=0"
        let hostile = try TestSupport.plan(study)
        #expect(throws: PlanningError.self) { try renderer().simulationsScript(hostile) }
        study.execution.slurm?.job.partition = "cpu"
        study.execution.slurm?.job.directives = ["--exclusive\nrm -rf ~"]
        #expect(throws: PlanningError.self) { try renderer().simulationsScript(try TestSupport.plan(study)) }
    }

    @Test func siteTemplatesOverrideByName() throws {
        let site = TestSupport.testsDirectory.appendingPathComponent("Fixtures/site-templates")
        let templates = try TemplateSet(overridesIn: site)
        #expect(templates.overridden == ["site-header", "site-setup"])
        let plan = try TestSupport.plan(TestSupport.study(scheduler: .slurm))
        let script = try ScriptRenderer(templates: templates).simulationsScript(plan)
        #expect(script.contains("#SBATCH --exclusive\n#SBATCH --mail-type=FAIL\n"))
        #expect(script.contains("module purge\nmodule load site/2024\n"))
        // The planner resolves a study's template directory against the study file's directory.
        var study = TestSupport.study()
        study.info.templates = "site"
        #expect(try TestSupport.plan(study).templatesDirectory == "/home/alice/studies/site")
    }

    @Test func templatesAreNotHTMLEscaped() throws {
        let templates = try TemplateSet(sources: ["t": "{{value}}|{{{value}}}"])
        let plan = try TestSupport.plan(TestSupport.study())
        _ = plan
        let rendered = try ScriptRenderer(
            templates: try TemplateSet(sources: ["local-server.sh": "{{server_command}}", "site-header": ""])
        ).serverScript(plan)
        #expect(rendered == "'/opt/melissa/bin/melissa' 'server' '/scratch/melissa/heat'")
        _ = templates
    }
}
