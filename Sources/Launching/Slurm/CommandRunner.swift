import Foundation

/// Runs a short command (`sbatch`, `sacct`, `scancel`…) and collects its output, within a timeout.
///
/// Built on Foundation's `Process`: its termination handler and two reader threads finish the run, so no task of
/// Swift's cooperative pool ever blocks. A command still running at the timeout gets SIGTERM, then SIGKILL two
/// seconds later, and the run throws ``LaunchingError/commandTimedOut(command:seconds:)``.
public struct CommandRunner: Sendable {
    /// Seconds a command may take.
    public var timeout: Double
    /// Variables added to (or replacing) the launcher's environment.
    public var environment: [String: String]

    /// Creates a runner.
    public init(timeout: Double = 60, environment: [String: String] = [:]) {
        self.timeout = timeout
        self.environment = environment
    }

    /// Runs `command` (its first word found on `PATH`) and returns what it printed, whatever its exit status.
    public func run(_ command: [String]) async throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        process.standardInput = FileHandle.nullDevice
        let collector = CommandCollector()
        let timeout = self.timeout
        let result: (status: ExitStatus, output: Data, error: Data, timedOut: Bool) =
            try await withCheckedThrowingContinuation { continuation in
                collector.onCompletion { continuation.resume(returning: $0) }
                process.terminationHandler = { finished in
                    let status =
                        finished.terminationReason == .uncaughtSignal
                        ? ExitStatus(code: 0, signal: Int(finished.terminationStatus))
                        : ExitStatus(code: Int(finished.terminationStatus))
                    collector.finish(status: status)
                }
                do {
                    try process.run()
                } catch {
                    continuation.resume(throwing: LaunchingError.cannotStart(command: command, reason: "\(error)"))
                    return
                }
                for (pipe, isOutput) in [(output, true), (error, false)] {
                    Thread.detachNewThread {
                        let data = pipe.fileHandleForReading.readDataToEndOfFile()
                        collector.finish(data: data, isOutput: isOutput)
                    }
                }
                let pid = process.processIdentifier
                DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
                    guard collector.markTimedOutIfRunning() else { return }
                    kill(pid, SIGTERM)
                    DispatchQueue.global().asyncAfter(deadline: .now() + 2) {
                        if !collector.hasExited { kill(pid, SIGKILL) }
                    }
                }
            }
        if result.timedOut { throw LaunchingError.commandTimedOut(command: command, seconds: timeout) }
        return CommandResult(
            command: command, status: result.status, output: String(decoding: result.output, as: UTF8.self),
            error: String(decoding: result.error, as: UTF8.self))
    }

    /// Runs `command` and returns its result if it exited 0; otherwise throws
    /// ``LaunchingError/commandFailed(command:status:standardError:)`` with its standard error.
    public func check(_ command: [String]) async throws -> CommandResult {
        try await run(command).checked()
    }
}
