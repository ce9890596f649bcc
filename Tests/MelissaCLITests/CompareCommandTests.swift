import Foundation
import MelissaTestSupport
import Testing

/// The paper's experiment and the offline mode end to end on a tiny heat study (a 10 × 10 mesh, 6 + 2 simulations
/// of 10 steps): the real solver, client library, launcher, server and trainer.
@Suite("compare and offline", .serialized)
struct CompareCommandTests {
    static func tinyStudy(in root: URL, mode: String = "online") throws -> URL {
        let yaml = """
            study: {name: tiny-heat, output: study, seed: 4}
            parameters:
              T0: {uniform: [100, 500]}
              T1: {uniform: [100, 500]}
              T2: {uniform: [100, 500]}
              T3: {uniform: [100, 500]}
              T4: {uniform: [100, 500]}
            sampler: {kind: sobol, count: 6}
            simulation:
              command: "\(HostTools.heatSolver.path) --mesh 10 --steps {{time_steps}} {{T0}} {{T1}} {{T2}} {{T3}} {{T4}}"
              fields: [{name: temperature, size: 100, shape: [10, 10]}]
              time_steps: 10
              resources: {tasks: 1}
            buffer: {policy: reservoir, capacity: 60, watermark: 10}
            training:
              model: {kind: mlp, hidden: [16]}
              batch_size: 5
              optimizer: {learning_rate: 3.0e-3}
              epochs: 60
              validation: {simulations: 2, every_batches: 10, require_skill: false}
            execution:
              mode: \(mode)
              scheduler: local
              concurrency: {min: 1, max: 2}
              local: {mpirun: mpirun, mpirun_arguments: [--oversubscribe]}
            """
        let file = root.appendingPathComponent("study.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test("an offline study writes its data, then trains on it like online", .requiresHeatSolver)
    func anOfflineStudyWritesItsDataThenTrains() async throws {
        let root = try HostTools.temporaryDirectory("melissa-offline")
        defer { try? FileManager.default.removeItem(at: root) }
        let file = try Self.tinyStudy(in: root, mode: "offline")
        let launched = try await MelissaRun.run(["launch", file.path], in: root)
        #expect(launched.status == 0, "\(launched.standardOutput)\n\(launched.standardError)")
        let study = root.appendingPathComponent("study")
        for id in 0..<8 {
            let marker = study.appendingPathComponent("data/sim-\(id)/complete.json")
            #expect(FileManager.default.fileExists(atPath: marker.path), "simulation \(id) wrote its data")
        }
        // `melissa launch` trained already; `melissa train` trains again from scratch.
        let trained = try await MelissaRun.run(["train", study.path], in: root)
        #expect(trained.status == 0, "\(trained.standardOutput)\n\(trained.standardError)")
        #expect(trained.standardOutput.contains("60 training and 20 held-out samples"), "\(trained.standardOutput)")
        #expect(trained.standardOutput.contains("validation relative L2"), "\(trained.standardOutput)")
        #expect(FileManager.default.fileExists(atPath: study.appendingPathComponent("model.melissa").path))
        let predicted = try await MelissaRun.run(
            ["predict", study.appendingPathComponent("model.melissa").path, "--step", "3"]
                + (0..<5).map { "--param=T\($0)=300" }, in: root)
        #expect(predicted.status == 0)
        #expect(predicted.standardOutput.split(separator: "\n").count == 100)
    }

    @Test("melissa compare runs FIFO, FIRO, Reservoir and offline and judges the paper's claims", .requiresHeatSolver)
    func compareRunsTheFourAndWritesTheTable() async throws {
        let root = try HostTools.temporaryDirectory("melissa-compare")
        defer { try? FileManager.default.removeItem(at: root) }
        let file = try Self.tinyStudy(in: root)
        let out = root.appendingPathComponent("comparison")
        let run = try await MelissaRun.run(["compare", file.path, "--out", out.path], in: root)
        #expect(run.status == 0, "\(run.standardOutput)\n\(run.standardError)")
        let csv = try String(contentsOf: out.appendingPathComponent("comparison.csv"), encoding: .utf8)
        let rows = csv.split(separator: "\n").dropFirst().map {
            $0.split(separator: ",", omittingEmptySubsequences: false)
        }
        #expect(rows.map { String($0[0]) } == ["reservoir", "fifo", "firo", "offline"])
        for row in rows {
            #expect(Double(row[3]) != nil, "every run has a relative L2: \(row)")
            #expect((Int(row[6]) ?? 0) > 0, "every run trained: \(row)")
        }
        let markdown = try String(contentsOf: out.appendingPathComponent("comparison.md"), encoding: .utf8)
        for claim in ["FIFO overfits", "Reservoir multiplies throughput", "Online matches or beats offline"] {
            #expect(markdown.contains(claim), "verdict on \(claim)")
            #expect(run.standardOutput.contains(claim))
        }
        for plot in ["comparison-time.svg", "comparison-batches.svg"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(plot).path))
        }
        #expect(
            FileManager.default.fileExists(atPath: out.appendingPathComponent("offline/data/sim-0/complete.json").path))
    }
}
