import Foundation
import MelissaTestSupport
import Testing

/// The built `MelissaTrainCheck` (Tests/MelissaTrainCheck), beside the test bundle in the build directory.
let trainCheckBinary = HostTools.product("MelissaTrainCheck")

/// One rank's report line, `key=value` pairs.
struct RankReport {
    var fields: [String: String]

    init(line: Substring) {
        fields = Dictionary(
            line.split(separator: " ").compactMap { pair -> (String, String)? in
                let parts = pair.split(separator: "=", maxSplits: 1)
                return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
            }, uniquingKeysWith: { first, _ in first })
    }

    func int(_ key: String) -> Int? { fields[key].flatMap { Int($0) } }
}

@Suite struct DataParallelTests {
    @Test(.requiresMPI, .requiresProduct("MelissaTrainCheck"))
    func twoRanksKeepIdenticalWeightsAndStopTogether() throws {
        // A deadlocked rank would hang the test run: the runner ends it after a generous grace period.
        let run = try ProcessRunner.run(
            HostTools.mpirun ?? "/usr/bin/mpirun",
            [
                "--allow-run-as-root", "--oversubscribe", "-np", "2", trainCheckBinary.path,
                "--samples", "200", "--shortfall", "73", "--batch", "10",
            ], timeout: 300)
        let standardOutput = run.standardOutput
        try #require(run.status == 0 && !run.timedOut, "mpirun did not finish cleanly: \(run.transcript)")

        let reports = standardOutput.split(separator: "\n").filter { $0.hasPrefix("rank=") }.map(RankReport.init)
            .sorted { ($0.int("rank") ?? 0) < ($1.int("rank") ?? 0) }
        try #require(reports.count == 2, "expected two rank lines in:\n\(standardOutput)")
        // Rank 1 streamed 73 samples fewer (and ends on a partial batch), yet both ranks stopped at the same step.
        #expect(reports[0].int("local_samples") == 200)
        #expect(reports[1].int("local_samples") == 127)
        #expect(reports[0].int("global_samples") == 327)
        #expect(reports[1].int("global_samples") == 327)
        #expect(reports[0].int("steps") == 20)
        #expect(reports[1].int("steps") == 20)
        // Identical weights on both ranks (each drew different initial weights before the broadcast).
        let checksums = reports.compactMap { $0.fields["checksum"] }
        #expect(checksums.count == 2 && checksums[0] == checksums[1], "\(standardOutput)")
        #expect(reports[0].fields["loss"] == reports[1].fields["loss"])
    }
}
