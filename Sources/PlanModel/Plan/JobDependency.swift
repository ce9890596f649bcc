/// An edge of the job graph: `dependent` may start only once `prerequisite` reached `condition`.
public struct JobDependency: Sendable, Hashable, Codable {
    /// A job or group of jobs of the plan.
    public enum Job: String, Sendable, Hashable, Codable {
        /// The training server.
        case server
        /// Every simulation, training and validation.
        case simulations
    }

    /// What the prerequisite must have done.
    public enum Condition: String, Sendable, Hashable, Codable {
        /// The server published its address in `server.address` and accepts connections.
        case listening
    }

    /// The jobs that wait.
    public var dependent: Job
    /// The job they wait for.
    public var prerequisite: Job
    /// What they wait for.
    public var condition: Condition

    /// Creates an edge.
    public init(dependent: Job, prerequisite: Job, condition: Condition) {
        self.dependent = dependent
        self.prerequisite = prerequisite
        self.condition = condition
    }
}
