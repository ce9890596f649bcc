import WireProtocol

/// The registry's answer to a register: the session, or the refusal.
enum RegistrationOutcome {
    case accepted(session: UInt64)
    case refused(RefuseMessage)
}
