import Foundation
import Launching
import PlanModel
import Planning
import Testing

/// `Plan.writeRedraws`: the redraw record and the values files derived from it, written together.
@Suite("Redraw files")
struct RedrawFilesTests {
    @Test("redraws.json and each redrawn values file come from one table; stale values files go")
    func oneRecordForEveryReader() throws {
        let directory = try LauncherTestSupport.study(count: 3, arguments: "--value {{x}}")
        let plan = try PlanWriter.decode(Data(contentsOf: URL(fileURLWithPath: directory + "/plan.json")))
        let study = URL(fileURLWithPath: directory, isDirectory: true)
        let first = try plan.redraw(simulation: 1, draw: 0)
        let second = try plan.redraw(simulation: 2, draw: 1)
        try plan.writeRedraws(
            RedrawTable([
                RedrawTable.Entry(simulation: 1, fromAttempt: 2, values: first.values),
                RedrawTable.Entry(simulation: 2, fromAttempt: 1, values: second.values),
            ]))
        func command(_ id: Int) -> String? {
            try? String(contentsOfFile: directory + "/" + Plan.redrawnValuesPath(simulation: id), encoding: .utf8)
        }
        // The rows the scripts run the template with: the id, then the redrawn values as quoted words.
        #expect(command(1) == SimulationRenderer.valuesRow(first) + "\n")
        #expect(command(2) == SimulationRenderer.valuesRow(second) + "\n")
        #expect(command(1) == "1 '\(first.values[0])'\n")
        #expect(first.values != plan.simulations[1].values)
        // A launcher killed between writes left a values file the record does not have: the next write removes it.
        let table = RedrawTable([RedrawTable.Entry(simulation: 1, fromAttempt: 2, values: first.values)])
        try plan.writeRedraws(table)
        #expect(try RedrawTable.read(from: study, parameters: plan.parameters) == table)
        #expect(command(1) != nil && command(2) == nil)
        // No redraws: neither file is left.
        try plan.writeRedraws(RedrawTable())
        #expect(!FileManager.default.fileExists(atPath: RedrawTable.url(in: study).path))
        #expect(!FileManager.default.fileExists(atPath: directory + "/redrawn"))
    }
}
