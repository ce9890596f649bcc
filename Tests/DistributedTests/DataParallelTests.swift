import Foundation
import Testing

/// `mpirun` on the PATH, if any.
let mpirunPath: String? = {
    let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
    return paths.map { "\($0)/mpirun" }.first { FileManager.default.isExecutableFile(atPath: $0) }
}()

/// The built `MelissaTrainCheck` (Tests/MelissaTrainCheck), beside the test bundle in the build directory.
let trainCheckBinary: URL = {
    let productsDirectory =
        Bundle.allBundles.first { $0.bundlePath.hasSuffix(".xctest") }?.bundleURL.deletingLastPathComponent()
        ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    return productsDirectory.appendingPathComponent("MelissaTrainCheck")
}()

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
    @Test(.enabled(if: mpirunPath != nil, "mpirun not found (apt-get install openmpi-bin)"))
    func twoRanksKeepIdenticalWeightsAndStopTogether() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: mpirunPath ?? "/usr/bin/mpirun")
        process.arguments = [
            "--allow-run-as-root", "--oversubscribe", "-np", "2", trainCheckBinary.path,
            "--samples", "200", "--shortfall", "73", "--batch", "10",
        ]
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        // A deadlocked rank would hang the test run: end it after a generous grace period so the failure shows.
        let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 300, execute: watchdog)
        let outData = output.fileHandleForReading.readDataToEndOfFile()
        let errData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        watchdog.cancel()
        let standardOutput = String(decoding: outData, as: UTF8.self)
        let standardError = String(decoding: errData, as: UTF8.self)
        try #require(
            process.terminationReason == .exit && process.terminationStatus == 0,
            "mpirun did not finish cleanly (\(process.terminationStatus)):\n\(standardOutput)\n\(standardError)")

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
