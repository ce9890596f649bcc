/// First in, random out: each sample is read once, chosen uniformly among those held.
public struct FIROStore<Sample>: BufferStore {
    private var samples: [Sample] = []
    private var generator: SampleGenerator
    /// Samples the store may hold.
    public let capacity: Int

    /// A store for `capacity` samples whose choices follow `seed`.
    public init(capacity: Int, seed: UInt64) {
        precondition(capacity > 0, "a buffer needs room for at least one sample")
        self.capacity = capacity
        generator = SampleGenerator(seed: seed)
        samples.reserveCapacity(capacity)
    }

    /// Samples held.
    public var count: Int { samples.count }
    /// Whether there is room.
    public var canInsert: Bool { samples.count < capacity }

    /// Adds the sample; never evicts.
    public mutating func insert(_ sample: Sample) -> HeldSample<Sample>? {
        samples.append(sample)
        return nil
    }

    /// Removes a uniformly random sample (swap with the last, then pop: O(1)).
    public mutating func read(draining: Bool) -> (sample: Sample, removed: HeldSample<Sample>?) {
        let index = generator.index(below: samples.count)
        samples.swapAt(index, samples.count - 1)
        let sample = samples.removeLast()
        return (sample, HeldSample(sample: sample, seen: 1))
    }

    /// In storage order.
    public var contents: [HeldSample<Sample>] { samples.map { HeldSample(sample: $0) } }

    /// Refills.
    public mutating func restore(_ contents: [HeldSample<Sample>]) {
        samples = contents.prefix(capacity).map(\.sample)
    }
}
