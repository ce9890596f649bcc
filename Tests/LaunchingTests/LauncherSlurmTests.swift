import Foundation
import Launching
import MelissaTestSupport
import PlanModel
import Planning
import StudySpec
import Testing

/// The launch loop on the real single-node Slurm of the tests (`scripts/slurm-test-cluster`).
@Suite("Launcher on Slurm", .serialized)
struct LauncherSlurmTests {
    typealias Support = LauncherTestSupport
    static let environment = LaunchingTestSupport.environment

    /// The test cluster's partition, account and QOS for every job; `srun` starts the stand-ins.
    static func slurm(packing: SlurmOptions.Packing) -> SlurmOptions {
        let job = SlurmJobOptions(
            partition: environment["MELISSA_SLURM_PARTITION"], account: environment["MELISSA_SLURM_ACCOUNT"],
            qos: environment["MELISSA_SLURM_QOS"])
        return SlurmOptions(job: job, server: job, packing: packing, launcher: .srun, signalSecondsBeforeWalltime: 60)
    }

    @Test(
        "a failing simulation is retried with redrawn parameters on Slurm (array: a one-task array; or one job each)",
        .requiresSlurm,
        arguments: [SlurmOptions.Packing.array, .jobs])
    func study(packing: SlurmOptions.Packing) async throws {
        // redraw_after 1: the retry runs with redrawn parameters, from the row the scripts find in redrawn/1.values.
        let directory = try Support.study(
            count: 3, arguments: "--fail 1:1 --value {{x}}", slurm: Self.slurm(packing: packing))
        let plan = try PlanWriter.decode(Data(contentsOf: URL(fileURLWithPath: directory + "/plan.json")))
        var options = Support.options()
        options.pollInterval = 0.5
        let launcher = try Launcher(studyDirectory: directory, options: options)
        let task = Task { try await launcher.run() }
        let outcome = try await Support.bounded(90) { try await task.value }
        #expect(outcome == .completed(done: 3, givenUp: 0))
        let jobs = try launcher.journal.jobs(simulationID: 1)
        #expect(jobs.map(\.attempt) == [0, 1])
        #expect(jobs.last?.state == .completed)
        #expect((jobs.first?.schedulerID.arrayTask != nil) == (packing == .array))
        let values = plan.simulations.map { $0.values[0].description }
        let redrawn = try plan.redraw(simulation: 1, draw: 0).values[0].description
        #expect(Support.finishedRuns(directory).sorted() == ["0 0 \(values[0])", "1 1 \(redrawn)", "2 0 \(values[2])"])
    }

    @Test(
        "an adaptive study on Slurm: each batch a small array once chosen, or one job each",
        .requiresSlurm,
        arguments: [SlurmOptions.Packing.array, .jobs])
    func adaptiveStudy(packing: SlurmOptions.Packing) async throws {
        let rules = AdaptiveSamplerSpec(initialKind: .sobol, initialCount: 2, batch: 2, exploration: [0.5, 0.5])
        let directory = try Support.study(
            count: 6, arguments: "--value {{x}}", concurrency: 2, slurm: Self.slurm(packing: packing), adaptive: rules)
        var options = Support.options()
        options.pollInterval = 0.5
        let launcher = try Launcher(studyDirectory: directory, options: options)
        let outcome = try await Support.bounded(180) { try await launcher.run() }
        #expect(outcome == .completed(done: 6, givenUp: 0))
        let records = try launcher.journal.decisions(kind: Launcher.proposeKind)
        let replay = try AdaptiveReplay(plan: launcher.plan, records: records)
        #expect(replay.batches == 2)
        // What each simulation ran with is what its proposal chose.
        let ran = Support.finishedRuns(directory).map { $0.split(separator: " ").map(String.init) }
        for row in replay.rows {
            #expect(ran.contains { $0[0] == "\(row.simulation)" && $0[2] == row.values[0].description })
        }
        if packing == .array {
            // One array per chosen batch: the initial design, then each batch.
            let arrays = Set(
                try (0..<6).flatMap { try launcher.journal.jobs(simulationID: $0) }.compactMap {
                    $0.schedulerID.arrayTask == nil ? nil : $0.schedulerID.job
                })
            #expect(arrays.count == 3, "\(arrays)")
        }
    }
}
