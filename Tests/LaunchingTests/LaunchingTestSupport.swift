import Foundation
import Launching
import MelissaTestSupport
import Testing

/// Fixtures, temporary directories and bounded waits shared by the launching tests.
enum LaunchingTestSupport {
    static let environment = ProcessInfo.processInfo.environment
    static let slurmEnabled = HostTools.slurmCluster

    /// The text of a fixture file.
    static func fixture(_ name: String) throws -> String {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil))
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// A new empty directory under the system's temporary directory.
    static func temporaryDirectory(_ prefix: String = "melissa-launching") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes an executable bash script.
    static func script(_ body: String, in directory: URL, name: String) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try ("#!/bin/bash\n" + body + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return path
    }

    /// Polls `condition` every `interval` seconds until it holds or `timeout` seconds pass; returns whether it held.
    static func wait(
        timeout: Double, interval: Double = 0.1, _ condition: () async throws -> Bool
    ) async rethrows -> Bool {
        let deadline = ContinuousClock.now + .seconds(timeout)
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .seconds(interval))
        }
        return try await condition()
    }
}
