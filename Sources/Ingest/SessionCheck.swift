import WireProtocol

/// What the registry says of a data or finish message's (simulation, attempt, session).
enum SessionCheck {
    /// The current registration; `stepDone` when the time step is already a sample.
    case current(ranks: UInt32, stepDone: Bool)
    /// Rejected, for this reason.
    case rejected(RejectionReason)
}
