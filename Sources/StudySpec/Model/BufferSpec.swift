/// The `buffer` section: how streamed samples wait for the trainer.
public struct BufferSpec: Sendable, Hashable, Codable {
    /// The eviction and read policy (see docs/study-reference.md).
    public enum Policy: String, Sendable, Hashable, Codable, CaseIterable {
        /// Each sample read once, oldest first.
        case fifo
        /// First in, random out: each sample read once, at random, once the watermark is reached.
        case firo
        /// Random reads without removal; a full buffer evicts a random already-seen sample.
        case reservoir
    }

    /// The policy. Default: reservoir.
    public var policy: Policy
    /// Samples the buffer holds (per training rank). Default: 6000.
    public var capacity: Int
    /// Samples the buffer must hold before reads start. Default: 1000 (or the capacity when smaller).
    public var watermark: Int

    /// Creates the section.
    public init(policy: Policy = .reservoir, capacity: Int = 6000, watermark: Int = 1000) {
        self.policy = policy
        self.capacity = capacity
        self.watermark = watermark
    }
}
