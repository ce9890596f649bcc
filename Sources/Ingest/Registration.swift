import WireProtocol

/// A current registration: the (simulation, attempt) the server accepted and the session it handed out.
struct Registration: Sendable {
    var simulationID: UInt32
    var attempt: UInt32
    var session: UInt64
    var ranks: UInt32
}
