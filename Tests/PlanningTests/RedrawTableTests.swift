import Foundation
import PlanModel
import Planning
import Sampling
import Testing

@Suite struct RedrawTableTests {
    let parameters = [
        PlanParameter(name: "T0", type: .real), PlanParameter(name: "n", type: .integer),
        PlanParameter(name: "mode", type: .text),
    ]

    @Test func valuesFollowTheLatestRedrawAtOrBeforeTheAttempt() {
        let plan: [ParameterValue] = [.real(100), .integer(1), .text("a")]
        let first: [ParameterValue] = [.real(200), .integer(2), .text("b")]
        let second: [ParameterValue] = [.real(300), .integer(3), .text("c")]
        let table = RedrawTable([
            .init(simulation: 4, fromAttempt: 6, values: second), .init(simulation: 4, fromAttempt: 3, values: first),
        ])
        #expect(table.values(simulation: 4, attempt: 2, planValues: plan) == plan)
        #expect(table.values(simulation: 4, attempt: 3, planValues: plan) == first)
        #expect(table.values(simulation: 4, attempt: 5, planValues: plan) == first)
        #expect(table.values(simulation: 4, attempt: 9, planValues: plan) == second)
        #expect(table.values(simulation: 5, attempt: 9, planValues: plan) == plan)
        #expect([0, 2, 3, 6, 7].map { table.parameterSet(simulation: 4, attempt: $0) } == [0, 0, 1, 2, 2])
        #expect(table.parameterSet(simulation: 5, attempt: 7) == 0)
    }

    @Test func roundTripsThroughItsFileWithTypesRestored() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("redraws-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try RedrawTable.read(from: directory, parameters: parameters).isEmpty)
        let table = RedrawTable([
            .init(simulation: 1, fromAttempt: 3, values: [.real(500), .integer(7), .text("x, \"y\"")]),
            .init(simulation: 0, fromAttempt: 2, values: [.real(123.456), .integer(-1), .text("")]),
        ])
        try table.write(to: directory)
        #expect(try RedrawTable.read(from: directory, parameters: parameters) == table)
        let text = try String(contentsOf: RedrawTable.url(in: directory), encoding: .utf8)
        #expect(text.contains(#""from_attempt":2"#))
        #expect(text.hasPrefix(#"{"redraws":[{"from_attempt":2,"simulation":0,"values":[123.456,-1,""]}"#))
    }

    @Test func refusesAFileThatDoesNotFitThePlan() {
        let wrongCount = Data(#"{"version":1,"redraws":[{"simulation":1,"from_attempt":2,"values":[1,2]}]}"#.utf8)
        #expect(throws: PlanningError.self) { try RedrawTable.decode(wrongCount, parameters: parameters) }
        let future = Data(#"{"version":2,"redraws":[]}"#.utf8)
        #expect(throws: PlanningError.self) { try RedrawTable.decode(future, parameters: parameters) }
        #expect(throws: PlanningError.self) { try RedrawTable.decode(Data("{".utf8), parameters: parameters) }
    }
}
