import WireProtocol

/// What the registry says of a data or finish message's (simulation, attempt, session).
enum SessionCheck {
    /// The current registration (`ranks` is `UInt32.max` when only data was seen); `stepDone` when the time step is
    /// already a sample of `parameterSet`.
    case current(ranks: UInt32, stepDone: Bool, parameterSet: Int)
    /// Rejected, for this reason.
    case rejected(RejectionReason)
}
