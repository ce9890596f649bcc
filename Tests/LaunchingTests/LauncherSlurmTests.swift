import Foundation
import Launching
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
        "a study with a failing simulation completes on Slurm (job array: the retry is a one-task array; or one job each)",
        .enabled(
            if: LaunchingTestSupport.slurmEnabled,
            "needs the Slurm test cluster: scripts/slurm-test-cluster start; eval \"$(scripts/slurm-test-cluster env)\""
        ),
        arguments: [SlurmOptions.Packing.array, .jobs])
    func study(packing: SlurmOptions.Packing) async throws {
        let directory = try Support.study(count: 3, arguments: "--fail 1:1", slurm: Self.slurm(packing: packing))
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
        #expect(Support.finishedRuns(directory).sorted() == ["0 0", "1 1", "2 0"])
    }
}
