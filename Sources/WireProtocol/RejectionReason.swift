/// Why the server rejected a message: the key it is counted under (the `rejected` object of `status`).
public enum RejectionReason: String, Sendable, CaseIterable, Codable, Hashable {
    /// The first four bytes are not `"MLSA"`.
    case magic
    /// Another protocol version.
    case version
    /// An unknown kind, or a kind that does not belong on this socket.
    case kind
    /// Shorter than its kind requires (or a frame is missing).
    case truncated
    /// Longer than its kind allows (trailing bytes, extra frames, a size that overflows).
    case oversized
    /// A field out of its range (element type, reserved bytes, counts, names, UTF-8).
    case malformed
    /// `register` with the wrong study token.
    case token
    /// `register` for a simulation the study does not have.
    case simulation
    /// `register` whose fields or time steps differ from the study's.
    case fields
    /// `register` whose ranks differ from the study's simulation tasks, or from those its attempt registered with.
    case ranks
    /// `register` for a simulation that already finished or was given up; `data` (or `finish`) for a simulation that
    /// finished or was given up, or from a rank whose `finish` already reached that data endpoint.
    case finished
    /// Data or finish whose (simulation, attempt, session) is not a current registration (on the rank serving
    /// registration: of an attempt that never registered).
    case session
    /// Data or finish of an older attempt of a simulation that registered again; a register of an older attempt, or
    /// of an attempt that already ended incomplete.
    case stale
    /// A time step, rank, field index or element range beyond what was registered.
    case range
    /// A time step sent to a training rank other than (simulation + time step) mod R.
    case route
    /// A chunk overlapping elements already received for that (simulation, time step, field).
    case overlap
}
