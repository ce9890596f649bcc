/// A thread-safe training buffer between the ingest (writers) and the trainer (reader).
///
/// Writers block while the buffer is full and nothing may be evicted (back-pressure reaches the senders). Readers
/// block until the population reaches the watermark, or reception is over; after ``finishReception()`` the buffer
/// drains and reads return nil once it is empty.
public protocol SampleBuffer<Sample>: AnyObject, Sendable {
    /// What the buffer holds.
    associatedtype Sample

    /// Adds a sample, waiting while there is no room (an interrupted buffer drops it instead of waiting).
    func put(_ sample: Sample)
    /// Adds a sample if it can be done without waiting.
    func tryPut(_ sample: Sample) -> Bool
    /// The next sample for training, waiting for the watermark; nil once reception is over and the buffer is empty.
    func get() -> Sample?
    /// The next sample if one may be read now without waiting (watermark reached, or draining).
    func tryGet() -> Sample?
    /// Up to `count` samples into `batch` (replacing its contents) with one lock; fewer only while draining.
    /// Returns false, with `batch` empty, once reception is over and the buffer is empty.
    func getBatch(_ count: Int, into batch: inout [Sample]) -> Bool
    /// Announces that no more samples will come: waiting readers wake and the buffer drains.
    func finishReception()
    /// Wakes waiting readers for good: reads that would wait return nothing (a stop to checkpoint); nothing held is
    /// read or removed by it.
    func interrupt()
    /// Counters and the seen-count distribution.
    var statistics: BufferStatistics { get }
    /// Everything held, with read counts, for a checkpoint.
    func snapshot() -> [HeldSample<Sample>]
    /// Replaces the contents with a snapshot (restart from a checkpoint).
    func restore(_ contents: [HeldSample<Sample>])
}

/// Makes the buffer a study asks for.
public func makeSampleBuffer<Sample: Sendable>(
    policy: BufferPolicy, capacity: Int, watermark: Int, seed: UInt64, of _: Sample.Type = Sample.self
) -> TrainingBuffer<Sample> {
    TrainingBuffer(policy: policy, capacity: capacity, watermark: watermark, seed: seed)
}
