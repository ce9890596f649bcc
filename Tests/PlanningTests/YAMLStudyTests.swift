import Foundation
import PlanModel
import Planning
import StudySpec
import Testing

@Suite struct YAMLStudyTests {
    @Test func plansAStudyFile() throws {
        let url = TestSupport.testsDirectory.appendingPathComponent("Fixtures/heat.yaml")
        let loaded = try StudyLoader.load(contentsOf: url)
        let plan = try Planner.plan(PlanInput(loaded: loaded, melissaExecutable: "/usr/bin/melissa"))
        #expect(
            plan.studyDirectory == TestSupport.testsDirectory.appendingPathComponent("Fixtures/runs/heat-yaml").path)
        #expect(plan.trainingCount == 6)
        #expect(plan.validationCount == 2)
        #expect(plan.scheduler == .slurm)
        #expect(plan.simulationSlurm?.partition == "cpu")
        #expect(plan.samplers.training?.kind == .latinHypercube(optimization: .none))
        let expectedCoreHours: Double = 1 + 8 * 2.0 / 3
        #expect(plan.totals.coreHours == expectedCoreHours)
        let files = try ScriptRenderer(templates: try TemplateSet()).files(for: plan)
        // The values file is PlanWriter's, written with plan.json and parameters.csv.
        #expect(files.map(\.path) == ["scripts/server.sbatch", "scripts/simulations.sbatch"])
        for file in files where file.executable {
            #expect(try TestSupport.bashSyntaxErrors(file.contents) == nil)
        }
    }

    @Test func theHeatPDEExamplePlans() throws {
        let repository = TestSupport.testsDirectory.deletingLastPathComponent().deletingLastPathComponent()
        let loaded = try StudyLoader.load(
            contentsOf: repository.appendingPathComponent("workflows/heat-pde/study.yaml"))
        let plan = try Planner.plan(
            PlanInput(loaded: loaded, studyDirectory: URL(fileURLWithPath: "/tmp/heat-pde"), melissaExecutable: "/m")
        )
        #expect(plan.trainingCount == 500)
        #expect(plan.validationCount == 10)
        #expect(plan.simulation.launcher == ["mpirun", "-np", "1", "--oversubscribe"])
    }
}
