/// The training reservoir: random reads without removal; a full store evicts a random already-read sample.
///
/// Unseen samples are never evicted, so a write waits when the store is full of unseen samples. Once reception is
/// over (`draining`), reads remove what they pick, so every sample is read at least once before the store empties.
/// Reads, writes and evictions are O(1): the indices of already-read slots are kept in a second array.
public struct ReservoirStore<Sample>: BufferStore {
    private var slots: [HeldSample<Sample>] = []
    /// For each slot, its position in `seenSlots`, or -1 while unseen.
    private var seenPosition: [Int] = []
    /// Slots read at least once.
    private var seenSlots: [Int] = []
    private var generator: SampleGenerator
    /// Samples the store may hold.
    public let capacity: Int

    /// A store for `capacity` samples whose choices follow `seed`.
    public init(capacity: Int, seed: UInt64) {
        precondition(capacity > 0, "a buffer needs room for at least one sample")
        self.capacity = capacity
        generator = SampleGenerator(seed: seed)
        slots.reserveCapacity(capacity)
        seenPosition.reserveCapacity(capacity)
        seenSlots.reserveCapacity(capacity)
    }

    /// Samples held.
    public var count: Int { slots.count }
    /// Whether there is room or an already-read sample to evict.
    public var canInsert: Bool { slots.count < capacity || !seenSlots.isEmpty }
    /// Samples held that were never read.
    public var unseenCount: Int { slots.count - seenSlots.count }

    /// Adds the sample, evicting a random already-read one when full.
    public mutating func insert(_ sample: Sample) -> HeldSample<Sample>? {
        if slots.count < capacity {
            slots.append(HeldSample(sample: sample))
            seenPosition.append(-1)
            return nil
        }
        let victim = seenSlots[generator.index(below: seenSlots.count)]
        let evicted = slots[victim]
        forgetSeen(victim)
        slots[victim] = HeldSample(sample: sample)
        return evicted
    }

    /// Picks a uniformly random sample; removes it when draining.
    public mutating func read(draining: Bool) -> (sample: Sample, removed: HeldSample<Sample>?) {
        let index = generator.index(below: slots.count)
        slots[index].seen += 1
        let sample = slots[index].sample
        if draining {
            let removed = slots[index]
            remove(at: index)
            return (sample, removed)
        }
        if seenPosition[index] < 0 {
            seenPosition[index] = seenSlots.count
            seenSlots.append(index)
        }
        return (sample, nil)
    }

    /// In storage order, with their read counts.
    public var contents: [HeldSample<Sample>] { slots }

    /// Refills, keeping read counts.
    public mutating func restore(_ contents: [HeldSample<Sample>]) {
        slots = []
        seenPosition = []
        seenSlots = []
        for held in contents.prefix(capacity) {
            slots.append(held)
            seenPosition.append(held.seen > 0 ? seenSlots.count : -1)
            if held.seen > 0 { seenSlots.append(slots.count - 1) }
        }
    }

    private mutating func forgetSeen(_ slot: Int) {
        let position = seenPosition[slot]
        guard position >= 0 else { return }
        let moved = seenSlots[seenSlots.count - 1]
        seenSlots[position] = moved
        seenPosition[moved] = position
        seenSlots.removeLast()
        seenPosition[slot] = -1
    }

    /// Removes a slot by moving the last slot into it.
    private mutating func remove(at index: Int) {
        forgetSeen(index)
        let last = slots.count - 1
        if index != last {
            let lastPosition = seenPosition[last]
            slots[index] = slots[last]
            seenPosition[index] = lastPosition
            if lastPosition >= 0 { seenSlots[lastPosition] = index }
        }
        slots.removeLast()
        seenPosition.removeLast()
    }
}
