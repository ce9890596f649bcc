/// How a training buffer chooses what to hand out and what to drop (see docs/buffers.md).
public enum BufferPolicy: String, Sendable, Hashable, Codable, CaseIterable {
    /// First in, first out: each sample is read once, oldest first.
    case fifo
    /// First in, random out: each sample is read once, chosen uniformly among those held.
    case firo
    /// Random reads without removal; when full, a write evicts a random sample that was already read.
    /// Once reception is over, reads remove what they pick, so every sample is read at least once.
    case reservoir
}
