import Foundation
import PlanModel
import Sampling

extension Plan {
    /// The file the simulation scripts run instead of their line of the command file once the launcher redrew a
    /// simulation's parameters: `<study dir>/redrawn/<id>.command` (relative to the study directory).
    public static func redrawnCommandPath(simulation id: Int) -> String {
        "redrawn/\(id).command"
    }

    /// Simulation `id` with new parameter values: point number `drawn + draw` of the sampler that drew its role's
    /// points (training or validation), through the parameters' distributions, rendered with the study's templates.
    ///
    /// `draw` counts the redraws of that role over the study, from 0, so that redraws are reproducible and never
    /// repeat a point. Throws ``PlanningError/cannotRedraw(simulation:reason:)`` when the points came from a file,
    /// the sampler is a grid (its points are the design), or the plan predates the stored distributions.
    public func redraw(simulation id: Int, draw: Int) throws -> SimulationJob {
        let job = try simulationJob(id)
        func refuse(_ reason: String) -> PlanningError { .cannotRedraw(simulation: id, reason: reason) }
        let state = job.role == .training ? samplers.training : samplers.validation
        guard var state else { throw refuse("its points came from a file") }
        if case .grid = state.kind { throw refuse("a grid's points are its design; none is drawn at random") }
        let distributions = parameters.compactMap(\.distribution)
        guard distributions.count == parameters.count else {
            throw refuse("plan.json does not record the parameters' distributions (plan it again)")
        }
        guard draw >= 0, state.drawn <= Int.max - draw else { throw refuse("draw \(draw) is out of range") }
        state.drawn += draw
        let point: PointSet
        do {
            var sampler = try UnitSampler(state: state)
            point = try sampler.draw(1)
        } catch {
            throw refuse(String(describing: error))
        }
        let drawn = zip(distributions, point[0]).map { $0.value(atQuantile: $1) }
        return try rendered(simulation: id, values: Planner.conform(drawn, to: parameters))
    }

    /// Simulation `id` rendered with `values` (in parameter order) instead of its own.
    public func rendered(simulation id: Int, values: [ParameterValue]) throws -> SimulationJob {
        let job = try simulationJob(id)
        guard let templates = simulation.templates else {
            throw PlanningError.cannotRedraw(
                simulation: id, reason: "plan.json does not record the simulation's templates (plan it again)")
        }
        guard values.count == parameters.count else {
            throw PlanningError.cannotRedraw(
                simulation: id, reason: "\(values.count) values for \(parameters.count) parameters")
        }
        let renderer = try SimulationRenderer(
            templates: templates, parameters: parameters.map(\.name),
            context: PlaceholderTemplate.Context(
                studyDirectory: studyDirectory, studyFileDirectory: studyFileDirectory, studyName: studyName,
                timeSteps: simulation.timeSteps, tasks: simulation.resources.tasks),
            ownScripts: job.script != nil)
        return renderer.job(id: id, role: job.role, values: values)
    }

    private func simulationJob(_ id: Int) throws -> SimulationJob {
        if id >= 0, id < simulations.count, simulations[id].id == id { return simulations[id] }
        guard let job = simulations.first(where: { $0.id == id }) else {
            throw PlanningError.cannotRedraw(simulation: id, reason: "the plan has no such simulation")
        }
        return job
    }

    /// Writes what a redrawn simulation runs: `<study dir>/redrawn/<id>.command` (its one command line, read by
    /// every simulation script before the command file), atomically.
    public func writeRedrawnCommand(_ job: SimulationJob) throws {
        let url = URL(fileURLWithPath: studyDirectory).appendingPathComponent(
            Self.redrawnCommandPath(simulation: job.id))
        let line = try ScriptRenderer.commandLine(for: job) + "\n"
        try AtomicFile.write(Data(line.utf8), to: url) { PlanningError.write(path: $0, reason: $1) }
    }
}
