/// What went wrong while talking to a scheduler or a local process.
public enum LaunchingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A scheduler command ended badly: its words, exit status and standard error.
    case commandFailed(command: [String], status: ExitStatus, standardError: String)
    /// A scheduler command did not end in time and was killed.
    case commandTimedOut(command: [String], seconds: Double)
    /// A command could not be started at all (not found, not executable).
    case cannotStart(command: [String], reason: String)
    /// A command's output could not be read as expected.
    case unexpectedOutput(command: [String], output: String)
    /// The request asks something this adapter cannot do.
    case unsupported(String)
    /// No job has this id.
    case unknownJob(JobID)

    /// A message for a person.
    public var description: String {
        switch self {
        case .commandFailed(let command, let status, let standardError):
            let how = status.signal != 0 ? "was killed by signal \(status.signal)" : "exited with status \(status.code)"
            let error = standardError.trimmingBlanks
            return "`\(command.joined(separator: " "))` \(how)" + (error.isEmpty ? "" : ": \(error)")
        case .commandTimedOut(let command, let seconds):
            return "`\(command.joined(separator: " "))` did not finish within \(seconds) s and was killed"
        case .cannotStart(let command, let reason):
            return "cannot run `\(command.joined(separator: " "))`: \(reason)"
        case .unexpectedOutput(let command, let output):
            return "`\(command.joined(separator: " "))` printed something unexpected: \(output.trimmingBlanks)"
        case .unsupported(let what):
            return what
        case .unknownJob(let id):
            return "no job \(id)"
        }
    }
}
