/// A sample held by a buffer, with the number of times the trainer has read it.
public struct HeldSample<Sample> {
    /// The sample.
    public var sample: Sample
    /// Reads so far.
    public var seen: Int

    /// Creates a held sample.
    public init(sample: Sample, seen: Int = 0) {
        self.sample = sample
        self.seen = seen
    }
}

extension HeldSample: Sendable where Sample: Sendable {}

/// The single-threaded heart of a buffer policy: which sample a read gets and what a write may evict.
///
/// ``ConcurrentBuffer`` wraps a store with the locking, waiting and counting every policy shares.
public protocol BufferStore {
    /// What the buffer holds.
    associatedtype Sample

    /// Samples held.
    var count: Int { get }
    /// Samples the store may hold.
    var capacity: Int { get }
    /// Whether a write can proceed now (there is room, or something may be evicted).
    var canInsert: Bool { get }
    /// Adds a sample; only called when `canInsert`. Returns the evicted sample, if one had to go.
    mutating func insert(_ sample: Sample) -> HeldSample<Sample>?
    /// Picks the next sample to read (count > 0); `draining` once reception is over. Returns the sample and, when it
    /// left the store, its final state.
    mutating func read(draining: Bool) -> (sample: Sample, removed: HeldSample<Sample>?)
    /// Everything held, for checkpoints.
    var contents: [HeldSample<Sample>] { get }
    /// Puts back what `contents` returned.
    mutating func restore(_ contents: [HeldSample<Sample>])
}
