import Foundation
import PlanModel
import Planning
import Sampling
import StudySpec
import Testing

/// A crashed simulation's parameters drawn anew from the plan alone (what the launcher does).
@Suite struct RedrawTests {
    @Test func aTrainingRedrawIsTheSamplersNextPointRenderedForTheSimulation() throws {
        let plan = try TestSupport.plan(TestSupport.study(count: 8))
        let longer = try TestSupport.plan(TestSupport.study(count: 10))
        let first = try plan.redraw(simulation: 3, draw: 0)
        let second = try plan.redraw(simulation: 5, draw: 1)
        // Sobol points 8 and 9: what a plan of 10 simulations gives its last two.
        #expect(first.values == longer.simulations[8].values)
        #expect(second.values == longer.simulations[9].values)
        #expect(first.id == 3 && first.role == .training)
        #expect(first.values != plan.simulations[3].values)
        // Rendered like the planner renders: same shape as simulation 3's own command, with the new values.
        guard case .real(let t0) = first.values[0], case .integer(let n) = first.values[1],
            case .text(let solver) = first.values[2]
        else {
            Issue.record("values of the wrong types: \(first.values)")
            return
        }
        let rendered = try plan.renderedSimulation(first)
        let own = try plan.renderedSimulation(plan.simulations[3])
        #expect(
            rendered.command
                == "'/home/alice/studies'/bin/heat --steps '50' --t0 '\(t0)' -n '\(n)' --solver '\(solver)' "
                + "--run '3'.\"${MELISSA_ATTEMPT:-0}\"")
        #expect(rendered.workingDirectory == own.workingDirectory)
        #expect(rendered.environment == own.environment)
        #expect(try ScriptRenderer.commandLine(for: rendered).contains("--t0 '\(t0)'"))
    }

    @Test func aValidationRedrawDrawsFromTheValidationSampler() throws {
        var study = TestSupport.study(count: 8)
        let plan = try TestSupport.plan(study)
        study.training.validation.simulations = 3
        let longer = try TestSupport.plan(study)
        let redrawn = try plan.redraw(simulation: 9, draw: 0)
        #expect(redrawn.role == .validation)
        #expect(redrawn.values == longer.simulations[10].values)
    }

    @Test func theDistributionsAndTemplatesSurvivePlanJSON() throws {
        let plan = try TestSupport.plan(TestSupport.study(count: 8))
        let decoded = try PlanWriter.decode(PlanWriter.encode(plan))
        #expect(decoded.parameters == plan.parameters)
        #expect(
            decoded.parameters.map(\.distribution) == [
                .uniform(lower: 100, upper: 500), .integerUniform(lower: 1, upper: 8),
                .choice([.text("cg"), .text("gmres")]),
            ])
        #expect(decoded.simulation.templates == plan.simulation.templates)
        #expect(try decoded.redraw(simulation: 2, draw: 4) == plan.redraw(simulation: 2, draw: 4))
    }

    @Test func pointsFromAFileOrAGridAreNotRedrawn() throws {
        var grid = TestSupport.study(count: 8)
        grid.parameters = [Parameter(name: "n", distribution: .integerUniform(lower: 1, upper: 4))]
        grid.simulation.command = "run {{n}}"
        grid.simulation.environment = []
        grid.sampler = SamplerSpec(kind: .grid, count: 0)
        let gridPlan = try TestSupport.plan(grid)
        #expect(throws: PlanningError.self) { try gridPlan.redraw(simulation: 0, draw: 0) }

        var file = grid
        file.sampler = SamplerSpec(kind: .file, count: 0, file: "points.csv")
        let filePlan = try Planner.plan(TestSupport.input(file)) { _ in "n\n1\n2\n" }
        #expect(throws: PlanningError.cannotRedraw(simulation: 1, reason: "its points came from a file")) {
            try filePlan.redraw(simulation: 1, draw: 0)
        }
        // With its own values it still renders (what a resumed launcher does with redraws.json).
        let job = try filePlan.rendered(simulation: 1, values: [.integer(4)])
        #expect(try filePlan.renderedSimulation(job).command == "run '4'")
    }
}
