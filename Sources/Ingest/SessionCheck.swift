import WireProtocol

/// What the registry says of a data or finish message's (simulation, attempt, session).
enum SessionCheck {
    /// The current registration (`ranks` is `UInt32.max` when only data was seen and the study does not say); `stepDone`
    /// when the time step is already a sample of `parameterSet`.
    case current(ranks: UInt32, stepDone: Bool, parameterSet: Int)
    /// A `finish` for a simulation that already finished: it changes nothing and is not counted (on a multi-rank
    /// server a rank's `finish` may arrive after the ranks agreed the simulation is done).
    case over
    /// Rejected (and counted) for this reason.
    case rejected(RejectionReason)
}
