/// Why `melissa worker` cannot run.
public enum WorkerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The study directory has no readable `plan.json`.
    case noPlan(path: String)
    /// The plan has no `workers` (the study was planned without `execution.workers`).
    case noWorkers(studyDirectory: String)
    /// The study token cannot be read.
    case noToken(path: String, reason: String)

    /// A message for a person.
    public var description: String {
        switch self {
        case .noPlan(let path):
            return "no plan at \(path): a worker runs inside a planned study directory"
        case .noWorkers(let directory):
            return "\(directory) was planned without execution.workers: its simulations run as jobs of their own"
        case .noToken(let path, let reason):
            return "cannot read the study token \(path): \(reason)"
        }
    }
}
