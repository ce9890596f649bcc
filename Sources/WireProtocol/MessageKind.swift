/// The kind of a message (bytes 6…7 of the preamble).
public enum MessageKind: UInt16, Sendable, CaseIterable {
    /// Simulation → server, registration socket.
    case register = 1
    /// Server → simulation: registration accepted.
    case accept = 2
    /// Server → simulation: registration refused.
    case refuse = 3
    /// Simulation → server, data socket: a chunk of one field of one time step.
    case data = 4
    /// Simulation → server, data socket: a rank is done.
    case finish = 5
    /// Launcher → server, control socket.
    case ping = 16
    /// Server → launcher, control socket.
    case status = 17
    /// Launcher → server, control socket: a simulation was given up.
    case giveUp = 18
    /// Worker → launcher, worker channel: what a worker runs and what ended; a claim when it is idle.
    case workerReport = 32
    /// Launcher → worker, worker channel: what to do next.
    case workerDirective = 33
}
