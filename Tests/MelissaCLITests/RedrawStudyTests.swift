import Foundation
import PlanModel
import Planning
import Testing

@testable import Server

/// A redraw end to end: `melissa launch` with the real `melissa server`, stand-in simulations, the local scheduler.
@Suite("redraw, end to end", .serialized)
struct RedrawStudyTests {
    @Test("a simulation that crashed runs again with redrawn values and the server trains on them under those values")
    func redrawnSimulationReachesTheServer() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("melissa-redraw-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let stub = try MelissaRun.mpirunStub(in: root)
        let standIn = MelissaRun.standIn
        // Simulation 3 (the held-out one, whose samples the checkpoint keeps with their inputs) crashes half-way
        // through its first attempt; redraw_after 1: its second attempt runs with new values.
        let yaml = """
            study: {name: redraw, output: study, seed: 11}
            parameters:
              x: {uniform: [0, 1]}
            sampler: {kind: monte-carlo, count: 3}
            simulation:
              command: "\(standIn.path) simulation --fail 3:1 --value {{x}}"
              fields: [{name: f, size: 16}]
              time_steps: 6
              retries: 2
              redraw_after: 1
            buffer: {policy: fifo, capacity: 1000, watermark: 1}
            training:
              model: {kind: mlp, hidden: [16]}
              batch_size: 2
              validation: {simulations: 1, every_batches: 5, require_skill: false}
            execution:
              scheduler: local
              concurrency: {min: 1, max: 2}
              local: {mpirun: \(stub.path)}
            """
        let file = root.appendingPathComponent("study.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let planned = try await MelissaRun.run(["plan", file.path])
        #expect(planned.status == 0, "\(planned.standardError)")
        let directory = root.appendingPathComponent("study")
        let launched = try await MelissaRun.run(["launch", directory.path])
        #expect(launched.status == 0, "\(launched.standardOutput)\n\(launched.standardError)")

        let plan = try PlanWriter.decode(Data(contentsOf: directory.appendingPathComponent("plan.json")))
        let redrawn = try plan.redraw(simulation: 3, draw: 0).values
        let planned3 = plan.simulations[3].values
        #expect(redrawn != planned3)
        let runs = try String(contentsOf: directory.appendingPathComponent("standin-runs"), encoding: .utf8)
            .split(separator: "\n").map(String.init).sorted()
        let values = plan.simulations.map { $0.values[0].description }
        #expect(runs == ["0 0 \(values[0])", "1 0 \(values[1])", "2 0 \(values[2])", "3 1 \(redrawn[0])"])

        // The server's last checkpoint: simulation 3's steps under the redrawn values (parameter set 1), all six,
        // held out with the redrawn x as their input; whatever the crashed attempt delivered, under the plan's x.
        let checkpoint = try ServerCheckpoint.read(from: directory.appendingPathComponent("checkpoint.melissa"))
        #expect(checkpoint.received[3]?[1] == Set(0..<6))
        #expect(checkpoint.received[3]?[0].map { $0.isSubset(of: Set(0..<3)) } ?? true)
        guard case .real(let newX) = redrawn[0], case .real(let oldX) = planned3[0] else {
            Issue.record("x is not real: \(redrawn), \(planned3)")
            return
        }
        let held = checkpoint.validation[3] ?? []
        let new = held.filter { $0.input[0] == Float(newX) }
        let old = held.filter { $0.input[0] == Float(oldX) }
        #expect(new.map { Int($0.input[1]) }.sorted() == Array(0..<6))
        #expect(old.count == checkpoint.received[3]?[0]?.count ?? 0)
        #expect(new.count + old.count == held.count)
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("model.melissa").path))
    }
}
