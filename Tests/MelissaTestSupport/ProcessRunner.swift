import Dispatch
import Foundation

/// What a finished process said.
public struct ProcessResult: Sendable {
    /// Its exit status (or the signal that ended it).
    public var status: Int32
    /// Its standard output.
    public var standardOutput: String
    /// Its standard error.
    public var standardError: String
    /// Whether it was ended by the watchdog.
    public var timedOut: Bool

    /// Both outputs, for a failing test's message.
    public var transcript: String {
        "exit \(status)\(timedOut ? " (ended by the watchdog)" : "")\n--- stdout\n\(standardOutput)\n--- stderr\n"
            + standardError
    }
}

/// Runs programs for the tests and collects what they print.
public enum ProcessRunner {
    /// Runs `executable` with `arguments` and waits for it. A process still running after `timeout` seconds is
    /// ended (SIGTERM) so that a deadlock fails the test instead of hanging the suite.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, directory: URL? = nil,
        timeout: Double = 600
    ) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let directory { process.currentDirectoryURL = directory }
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let ended = Watchdog(process, after: timeout)
        // Both pipes are drained at once: a child filling one while we block on the other would deadlock.
        let errorData = Drain(error.fileHandleForReading)
        let outData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ProcessResult(
            status: process.terminationStatus, standardOutput: String(decoding: outData, as: UTF8.self),
            standardError: String(decoding: errorData.wait(), as: UTF8.self), timedOut: ended.cancel())
    }

    /// `run` on a thread of its own: an async test that waits for a long command must not hold one of the few
    /// threads of Swift's cooperative pool (2 on a 2-core machine) that every async test shares.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, directory: URL? = nil,
        timeout: Double = 600
    ) async throws -> ProcessResult {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(
                    with: Result {
                        try run(
                            executable, arguments, environment: environment, directory: directory, timeout: timeout)
                    })
            }.start()
        }
    }
}
