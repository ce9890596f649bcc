import Foundation
import Sampling

/// The plan's `simulations`: the parameter table, one row of values per simulation, ordered by id (training first,
/// then validation), with the count of each role. Ids and roles are implied by a row's position.
struct ParameterTable: Codable {
    var training: Int
    var validation: Int
    var values: [[CompactValue]]

    /// The table of `jobs`, which must be numbered `0, 1, 2…` with the training ones first.
    init(_ jobs: [SimulationJob]) throws {
        try Self.check(jobs)
        training = jobs.count { $0.role == .training }
        validation = jobs.count - training
        values = jobs.map { $0.values.map(CompactValue.init) }
    }

    /// The simulations, values conformed to `parameters`.
    func jobs(parameters: [PlanParameter]) throws -> [SimulationJob] {
        guard training >= 0, validation >= 0, training + validation == values.count else {
            throw PlanningError.write(
                path: "plan.json",
                reason: "simulations: \(training) training and \(validation) validation for \(values.count) rows")
        }
        return values.enumerated().map { id, row in
            SimulationJob(
                id: id, role: id < training ? .training : .validation,
                values: PlanParameter.conform(row.map(\.value), to: parameters))
        }
    }

    /// Refuses simulations the table cannot hold: ids not `0, 1, 2…`, or a training one after a validation one.
    static func check(_ jobs: [SimulationJob]) throws {
        var validation = false
        for (index, job) in jobs.enumerated() {
            guard job.id == index else {
                throw PlanningError.write(path: "plan.json", reason: "simulation ids are not 0, 1, 2…")
            }
            if job.role == .validation { validation = true }
            guard !(validation && job.role == .training) else {
                throw PlanningError.write(
                    path: "plan.json", reason: "training simulation \(job.id) comes after a validation one")
            }
        }
    }
}
