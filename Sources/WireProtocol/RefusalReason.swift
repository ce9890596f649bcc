/// Why the server refused a registration (the `reason` of `refuse`).
public enum RefusalReason: UInt32, Sendable, CaseIterable {
    /// The study token is wrong.
    case wrongToken = 1
    /// The study has no simulation with this id.
    case unknownSimulation = 2
    /// The client speaks another protocol version.
    case incompatibleVersion = 3
    /// Field names or sizes (or time steps) differ from the study's or from an earlier attempt.
    case fieldMismatch = 4
    /// The register message is malformed.
    case malformed = 5
    /// This simulation already completed (or was given up).
    case finished = 6
    /// The simulation's MPI ranks differ from the study's `simulation.resources.tasks`, or from those this attempt
    /// registered with.
    case ranksMismatch = 7
}
