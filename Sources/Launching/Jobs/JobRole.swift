import PlanModel

/// What a submission runs: the server, one simulation, or a chunk of simulations as a job array.
public enum JobRole: Sendable, Hashable {
    /// The training server.
    case server
    /// One simulation, by id.
    case simulation(Int)
    /// A chunk of the simulation array: simulation `first + i` is array task `i`.
    case simulations(ArrayChunk)

    /// The simulation that array task `task` runs (for one simulation, its own id; nil for the server).
    public func simulationID(task: Int?) -> Int? {
        switch self {
        case .server: return nil
        case .simulation(let id): return id
        case .simulations(let chunk): return task.map { chunk.first + $0 }
        }
    }
}
