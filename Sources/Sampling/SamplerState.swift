/// Everything needed to resume a sampler where it stopped; stored in the plan (JSON).
public struct SamplerState: Sendable, Hashable, Codable {
    /// The sequence or design.
    public var kind: SamplerKind
    /// Number of coordinates of each point.
    public var dimension: Int
    /// Seed of every random choice the sampler makes (ignored by unscrambled sequences and grids).
    public var seed: UInt64
    /// Points handed out so far.
    public var drawn: Int

    /// Creates the state of a sampler that has handed out `drawn` points.
    public init(kind: SamplerKind, dimension: Int, seed: UInt64, drawn: Int = 0) {
        self.kind = kind
        self.dimension = dimension
        self.seed = seed
        self.drawn = drawn
    }
}
