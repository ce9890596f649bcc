/// First in, first out: a ring buffer; each sample is read once, oldest first.
public struct FIFOStore<Sample>: BufferStore {
    private var slots: [Sample?]
    private var head = 0
    /// Samples held.
    public private(set) var count = 0

    /// A store for `capacity` samples.
    public init(capacity: Int) {
        precondition(capacity > 0, "a buffer needs room for at least one sample")
        slots = Array(repeating: nil, count: capacity)
    }

    /// Samples the store may hold.
    public var capacity: Int { slots.count }
    /// Whether there is room.
    public var canInsert: Bool { count < slots.count }

    /// Appends at the tail; never evicts.
    public mutating func insert(_ sample: Sample) -> HeldSample<Sample>? {
        slots[(head + count) % slots.count] = sample
        count += 1
        return nil
    }

    /// Removes the oldest.
    public mutating func read(draining: Bool) -> (sample: Sample, removed: HeldSample<Sample>?) {
        guard let sample = slots[head] else { preconditionFailure("read from an empty FIFO store") }
        slots[head] = nil
        head = (head + 1) % slots.count
        count -= 1
        return (sample, HeldSample(sample: sample, seen: 1))
    }

    /// Oldest first.
    public var contents: [HeldSample<Sample>] {
        (0..<count).compactMap { slots[(head + $0) % slots.count] }.map { HeldSample(sample: $0) }
    }

    /// Refills in order.
    public mutating func restore(_ contents: [HeldSample<Sample>]) {
        slots = Array(repeating: nil, count: slots.count)
        head = 0
        count = 0
        for held in contents.prefix(slots.count) { _ = insert(held.sample) }
    }
}
