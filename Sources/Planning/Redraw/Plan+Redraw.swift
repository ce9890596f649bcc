import Foundation
import PlanModel
import Sampling

extension Plan {
    /// The row the simulation scripts read instead of their line of the values file once the launcher redrew a
    /// simulation's parameters: `<study dir>/redrawn/<id>.values` (relative to the study directory).
    public static func redrawnValuesPath(simulation id: Int) -> String {
        "redrawn/\(id).values"
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

    /// Simulation `id` with `values` (in parameter order) instead of its own.
    public func rendered(simulation id: Int, values: [ParameterValue]) throws -> SimulationJob {
        var job = try simulationJob(id)
        guard simulation.templates != nil else {
            throw PlanningError.cannotRedraw(
                simulation: id, reason: "plan.json does not record the simulation's templates (plan it again)")
        }
        guard values.count == parameters.count else {
            throw PlanningError.cannotRedraw(
                simulation: id, reason: "\(values.count) values for \(parameters.count) parameters")
        }
        job.values = values
        return job
    }

    /// Simulation `job`'s command line, working directory and environment, rendered from the plan's templates.
    public func renderedSimulation(_ job: SimulationJob) throws -> RenderedSimulation {
        try SimulationRenderer(plan: self).rendered(job)
    }

    /// Simulation `id`'s command line as the scripts run it (with its redrawn values when `redraws` has some).
    public func commandLine(simulation id: Int, redraws: RedrawTable = RedrawTable()) throws -> String {
        var job = try simulationJob(id)
        if let latest = redraws.entries[id]?.last { job.values = latest.values }
        return try SimulationRenderer.line(try renderedSimulation(job))
    }

    private func simulationJob(_ id: Int) throws -> SimulationJob {
        if id >= 0, id < simulations.count, simulations[id].id == id { return simulations[id] }
        guard let job = simulations.first(where: { $0.id == id }) else {
            throw PlanningError.cannotRedraw(simulation: id, reason: "the plan has no such simulation")
        }
        return job
    }

    /// Writes every file derived from the redraw record `table`, so that each reader sees the same redraws:
    /// `redraws.json` (the server's: ``RedrawTable/write(to:)``), then each redrawn simulation's
    /// `redrawn/<id>.values` (the scripts': its latest redraw's row, ``redrawnValuesPath(simulation:)``), and
    /// removes the command files of simulations `table` does not redraw. An empty table removes both
    /// `redraws.json` and `redrawn/`: the simulations run with the plan's values.
    ///
    /// The one writer of these files, used by a fresh launch (an empty table), a redraw and a resume alike: what a
    /// launcher killed half-way left behind is made whole from `redraws.json` by the next call.
    public func writeRedraws(_ table: RedrawTable) throws {
        let directory = URL(fileURLWithPath: studyDirectory, isDirectory: true)
        let redrawn = directory.appendingPathComponent("redrawn", isDirectory: true)
        if table.isEmpty {
            try Self.remove(RedrawTable.url(in: directory))
            try Self.remove(redrawn)
            return
        }
        try table.write(to: directory)
        for (simulation, entries) in table.entries {
            guard let latest = entries.last else { continue }
            try writeRedrawnValues(try rendered(simulation: simulation, values: latest.values))
        }
        // Written just above, so it exists; an unreadable one leaves nothing known to remove.
        let commandFiles = (try? FileManager.default.contentsOfDirectory(atPath: redrawn.path)) ?? []
        for name in commandFiles where name.hasSuffix(".values") {
            guard let id = Int(name.dropLast(".values".count)), table.entries[id] == nil else { continue }
            try Self.remove(redrawn.appendingPathComponent(name))
        }
    }

    /// Writes what a redrawn simulation runs with: `<study dir>/redrawn/<id>.values` (its row, read by every
    /// simulation script before the values file), atomically.
    private func writeRedrawnValues(_ job: SimulationJob) throws {
        let url = URL(fileURLWithPath: studyDirectory).appendingPathComponent(
            Self.redrawnValuesPath(simulation: job.id))
        let line = SimulationRenderer.valuesRow(job) + "\n"
        try AtomicFile.write(Data(line.utf8), to: url) { PlanningError.write(path: $0, reason: $1) }
    }

    /// Removes `url` if it exists.
    private static func remove(_ url: URL) throws {
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        do {
            try FileManager.default.removeItem(at: url)
        } catch {
            throw PlanningError.write(path: url.path, reason: "cannot remove it: \(error)")
        }
    }
}
