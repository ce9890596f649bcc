import StudySpec

/// The rules of an adaptive study (`sampler: {kind: adaptive}`), as the plan records them.
///
/// The plan lists every training simulation of the budget: ids `0 ..< initialCount` are the initial design; the
/// others are *slots*, chosen batch by batch while the study runs. Each slot's values in the plan are the
/// space-filling sequence's next point, the set it runs with when it is drawn for exploration; a bred slot runs with
/// the values its proposal records (`redraws.json`, from attempt 0, and the journal; docs/active-sampling.md).
public struct AdaptivePlan: Sendable, Hashable, Codable {
    /// Training simulations in all (the sampler's `count`): ids `0 ..< count` are training, the initial design
    /// included.
    public var count: Int
    /// Simulations of the initial design.
    public var initialCount: Int
    /// Slots chosen at a time.
    public var batch: Int
    /// How slots are chosen.
    public var strategy: AdaptiveSamplerSpec.Strategy
    /// The exploration fraction at the start and at the end.
    public var exploration: [Double]
    /// The Gaussian step's width, as a fraction of each parameter's range, at the start and at the end.
    public var mutation: [Double]
    /// The score that ranks parents.
    public var signal: AdaptiveSamplerSpec.Signal
    /// The seed of the proposer's random draws (each batch's generator derives from it and the batch's number).
    public var seed: UInt64

    /// Creates the rules.
    public init(
        count: Int, initialCount: Int, batch: Int, strategy: AdaptiveSamplerSpec.Strategy, exploration: [Double],
        mutation: [Double], signal: AdaptiveSamplerSpec.Signal, seed: UInt64
    ) {
        self.count = count
        self.initialCount = initialCount
        self.batch = batch
        self.strategy = strategy
        self.exploration = exploration
        self.mutation = mutation
        self.signal = signal
        self.seed = seed
    }
}

extension Plan {
    /// The batch (1, 2, …) that chooses training simulation `id`; 0 for the initial design and for validation.
    /// Constant time (the launcher asks it of every queued simulation).
    public func adaptiveBatch(of id: Int) -> Int {
        guard let adaptive, id >= adaptive.initialCount, id < adaptive.count else { return 0 }
        return (id - adaptive.initialCount) / adaptive.batch + 1
    }

    /// The slots (training ids) of adaptive batch `batch` (1, 2, …).
    public func adaptiveSlots(ofBatch batch: Int) -> Range<Int> {
        guard let adaptive, batch >= 1 else { return 0..<0 }
        let start = adaptive.initialCount + (batch - 1) * adaptive.batch
        return min(start, adaptive.count)..<min(start + adaptive.batch, adaptive.count)
    }

    /// How many batches an adaptive study chooses after its initial design (0 for another study).
    public var adaptiveBatchCount: Int {
        guard let adaptive else { return 0 }
        let slots = max(0, adaptive.count - adaptive.initialCount)
        return (slots + adaptive.batch - 1) / adaptive.batch
    }
}
