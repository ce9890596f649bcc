import StudySpec

/// A simulation's templates as the study file writes them (`{{name}}` placeholders unrendered).
public struct SimulationTemplates: Sendable, Hashable, Codable {
    /// `simulation.command`.
    public var command: String
    /// `simulation.working_directory`.
    public var workingDirectory: String
    /// `simulation.environment`.
    public var environment: [EnvironmentVariable]

    /// Creates the templates.
    public init(command: String, workingDirectory: String, environment: [EnvironmentVariable]) {
        self.command = command
        self.workingDirectory = workingDirectory
        self.environment = environment
    }
}
