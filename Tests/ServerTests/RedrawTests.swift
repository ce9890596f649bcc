import Foundation
import PlanModel
import Planning
import StudySpec
import Testing
import Training

@testable import Server

@Test func aRedrawnSimulationKeepsItsOldStepsWithTheirInputsAndCompletesUnderItsNewValues() async throws {
    var study = smallStudy(policy: .firo)
    // Reads start only when reception is over: at the stop below, the buffer still holds every training sample.
    study.buffer.capacity = 400
    study.buffer.watermark = 400
    let (plan, directory) = try plannedStudy(study)
    defer { try? FileManager.default.removeItem(at: directory) }
    let first = try RunningServer(directory: directory)
    // Simulation 2's attempt 1 sends half its steps and crashes; the launcher redraws its values from attempt 2 on and
    // writes them before it submits attempt 2, which sends every step.
    try stream(plan, directory: directory, ids: [2], attempt: 1, steps: 0..<10, finish: false)
    let redrawn = [0.9, 0.3]
    try RedrawTable([.init(simulation: 2, fromAttempt: 2, values: redrawn.map { .real($0) })]).write(to: directory)
    try stream(plan, directory: directory, ids: [2], attempt: 2, values: [2: redrawn])
    try stream(plan, directory: directory, ids: [0, 1, 3, 4, 6, 7])
    // What the clients sent may still sit in the server's sockets: stop once it has accepted all of it.
    // 110 training samples (simulations 0, 1, 3, 4; 10 + 20 of simulation 2) and 40 held out (6 and 7).
    let sent: Int = 4 * 20 + 10 + 20
    try await waitUntilAccepted(sent + 2 * 20, directory: directory)
    first.server.requestStop()
    #expect(try first.wait() == 143)

    let checkpoint = try ServerCheckpoint.read(from: first.server.checkpointURL)
    #expect(checkpoint.received[2]?[0] == Set(0..<10), "the crashed attempt's steps, under the plan's values")
    #expect(checkpoint.received[2]?[1] == Set(0..<20), "every step under the redrawn values: no duplicates")
    let planned = plan.simulations[2].values.map { value -> Float in
        if case .real(let number) = value { return Float(number) }
        return .nan
    }
    let samples = checkpoint.buffer.map(\.sample)
    let old = samples.filter { Array($0.input.prefix(2)) == planned }
    let new = samples.filter { Array($0.input.prefix(2)) == redrawn.map(Float.init) }
    #expect(old.map { UInt32($0.input[2]) }.sorted() == Array(0..<10))
    #expect(new.map { UInt32($0.input[2]) }.sorted() == Array(0..<20))
    #expect(old.allSatisfy { $0.output.array == field(planned.map(Double.init), step: UInt32($0.input[2])) })
    #expect(new.allSatisfy { $0.output.array == field(redrawn, step: UInt32($0.input[2])) })
    #expect(samples.count == sent)

    // After a restart, simulation 2 is finished under its new values (refused if it registers again) and the last
    // simulation completes the study.
    let second = try RunningServer(directory: directory, restart: true)
    try stream(plan, directory: directory, ids: [2, 5], attempt: 3)
    #expect(try second.wait() == 0)
    let last = try metrics(directory).last
    #expect(last?["received"] as? Int == 170)
    #expect(last?["trained"] as? Int == 130, "FIRO trains every training sample once, the old steps included")
}

@Test func textValuesKeepTheirNumbersWhenRedrawsBringOtherChoices() throws {
    var study = smallStudy()
    let choices = ["jacobi", "cg", "gmres", "bicgstab", "sor", "ilu", "amg", "direct"]
    study.parameters.append(Parameter(name: "solver", distribution: .choice(choices.map { .text($0) })))
    let (plan, directory) = try plannedStudy(study)
    defer { try? FileManager.default.removeItem(at: directory) }
    let used = Set(
        plan.simulations.compactMap { job -> String? in
            if case .text(let text) = job.values[2] { return text }
            return nil
        })
    // The plan's values sorted, as before redraws existed; then the choices the plan did not use, sorted.
    let numbering = used.sorted() + Set(choices).subtracting(used).sorted()
    func number(_ input: [Float]?) -> Int? { input.map { Int($0[2]) } }
    func redraw(_ simulation: Int, _ solver: String) -> RedrawTable.Entry {
        .init(simulation: simulation, fromAttempt: 1, values: [.real(1), .real(0), .text(solver)])
    }

    let sets = ParameterSets(plan: plan, directory: directory, log: { _ in })
    for job in plan.simulations {
        guard case .text(let solver) = job.values[2] else { continue }
        #expect(
            number(sets.input(simulationID: UInt32(job.id), parameterSet: 0)) == used.sorted().firstIndex(of: solver))
    }
    let last = numbering[numbering.count - 1]
    try RedrawTable([redraw(5, last)]).write(to: directory)
    #expect(sets.parameterSet(simulationID: 5, attempt: 1) == 1)
    #expect(number(sets.input(simulationID: 5, parameterSet: 1)) == numbering.count - 1)
    // A later redraw of a lower-numbered simulation, with another choice and a value from nowhere: nothing moves.
    try RedrawTable([redraw(5, last), redraw(1, numbering[0]), redraw(2, "hand-written")]).write(to: directory)
    #expect(sets.parameterSet(simulationID: 1, attempt: 1) == 1)
    #expect(number(sets.input(simulationID: 5, parameterSet: 1)) == numbering.count - 1)
    #expect(number(sets.input(simulationID: 1, parameterSet: 1)) == 0)
    #expect(number(sets.input(simulationID: 2, parameterSet: 1)) == numbering.count)
}
