import PlanModel

/// What a submission runs: the server, one simulation, a chunk of simulations as a job array, or a worker.
public enum JobRole: Sendable, Hashable {
    /// The training server.
    case server
    /// One simulation, by id.
    case simulation(Int)
    /// A chunk of the simulation array: simulation `first + i` is array task `i`.
    case simulations(ArrayChunk)
    /// A worker job (`execution.workers`), by its number: it runs simulations one after another.
    case worker(Int)

    /// The simulation that array task `task` runs (for one simulation, its own id; nil for the server).
    public func simulationID(task: Int?) -> Int? {
        switch self {
        case .server, .worker: return nil
        case .simulation(let id): return id
        case .simulations(let chunk): return task.map { chunk.first + $0 }
        }
    }
}
