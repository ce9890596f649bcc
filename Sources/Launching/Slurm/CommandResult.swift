/// What a finished command printed and how it ended.
public struct CommandResult: Sendable, Hashable {
    /// The command's words.
    public var command: [String]
    /// How it ended.
    public var status: ExitStatus
    /// Its standard output.
    public var output: String
    /// Its standard error.
    public var error: String

    /// Creates a result.
    public init(command: [String], status: ExitStatus, output: String, error: String) {
        self.command = command
        self.status = status
        self.output = output
        self.error = error
    }

    /// The result itself when the command succeeded; otherwise ``LaunchingError/commandFailed(command:status:standardError:)``.
    public func checked() throws -> CommandResult {
        guard status.isSuccess else {
            throw LaunchingError.commandFailed(command: command, status: status, standardError: error)
        }
        return self
    }
}
