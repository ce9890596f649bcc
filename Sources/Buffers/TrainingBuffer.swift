/// The buffer of a training rank, with its policy chosen at run time (from the study).
///
/// A concrete class that switches over the three concrete buffers rather than an `any SampleBuffer`: calls through
/// an existential run unspecialised generic code, about five times slower on this hot path (see
/// `melissa-bench buffers`).
public final class TrainingBuffer<Sample: Sendable>: SampleBuffer, Sendable {
    private enum Backing: Sendable {
        case fifo(ConcurrentBuffer<FIFOStore<Sample>>)
        case firo(ConcurrentBuffer<FIROStore<Sample>>)
        case reservoir(ConcurrentBuffer<ReservoirStore<Sample>>)
    }

    private let backing: Backing
    /// The policy.
    public let policy: BufferPolicy

    /// A buffer of `capacity` samples whose reads start at `watermark` and whose random choices follow `seed`.
    public init(policy: BufferPolicy, capacity: Int, watermark: Int, seed: UInt64) {
        self.policy = policy
        switch policy {
        case .fifo: backing = .fifo(ConcurrentBuffer(store: FIFOStore(capacity: capacity), watermark: watermark))
        case .firo:
            backing = .firo(ConcurrentBuffer(store: FIROStore(capacity: capacity, seed: seed), watermark: watermark))
        case .reservoir:
            backing = .reservoir(
                ConcurrentBuffer(store: ReservoirStore(capacity: capacity, seed: seed), watermark: watermark))
        }
    }

    /// Adds a sample, waiting while there is no room (an interrupted buffer drops it instead of waiting).
    public func put(_ sample: Sample) {
        switch backing {
        case .fifo(let buffer): buffer.put(sample)
        case .firo(let buffer): buffer.put(sample)
        case .reservoir(let buffer): buffer.put(sample)
        }
    }

    /// Adds a sample, waiting while there is no room, and runs `placed` under the buffer's lock right after; false
    /// (not added) when the buffer is interrupted.
    public func put(_ sample: Sample, placed: () -> Void) -> Bool {
        switch backing {
        case .fifo(let buffer): return buffer.put(sample, placed: placed)
        case .firo(let buffer): return buffer.put(sample, placed: placed)
        case .reservoir(let buffer): return buffer.put(sample, placed: placed)
        }
    }

    /// Adds a sample if it can be done without waiting.
    public func tryPut(_ sample: Sample) -> Bool {
        switch backing {
        case .fifo(let buffer): return buffer.tryPut(sample)
        case .firo(let buffer): return buffer.tryPut(sample)
        case .reservoir(let buffer): return buffer.tryPut(sample)
        }
    }

    /// The next sample, waiting for the watermark; nil once drained.
    public func get() -> Sample? {
        switch backing {
        case .fifo(let buffer): return buffer.get()
        case .firo(let buffer): return buffer.get()
        case .reservoir(let buffer): return buffer.get()
        }
    }

    /// The next sample if one may be read now.
    public func tryGet() -> Sample? {
        switch backing {
        case .fifo(let buffer): return buffer.tryGet()
        case .firo(let buffer): return buffer.tryGet()
        case .reservoir(let buffer): return buffer.tryGet()
        }
    }

    /// Up to `count` samples with one lock.
    public func getBatch(_ count: Int, into batch: inout [Sample]) -> Bool {
        switch backing {
        case .fifo(let buffer): return buffer.getBatch(count, into: &batch)
        case .firo(let buffer): return buffer.getBatch(count, into: &batch)
        case .reservoir(let buffer): return buffer.getBatch(count, into: &batch)
        }
    }

    /// Up to `count` samples, waiting at most `seconds` (see ``ConcurrentBuffer/getBatch(_:into:waitingAtMost:)``).
    public func getBatch(_ count: Int, into batch: inout [Sample], waitingAtMost seconds: Double) -> Bool {
        switch backing {
        case .fifo(let buffer): return buffer.getBatch(count, into: &batch, waitingAtMost: seconds)
        case .firo(let buffer): return buffer.getBatch(count, into: &batch, waitingAtMost: seconds)
        case .reservoir(let buffer): return buffer.getBatch(count, into: &batch, waitingAtMost: seconds)
        }
    }

    /// Makes reads wait beyond the watermark until ``releaseReads()``, the buffer is full or reception is over.
    public func holdReads() {
        switch backing {
        case .fifo(let buffer): buffer.holdReads()
        case .firo(let buffer): buffer.holdReads()
        case .reservoir(let buffer): buffer.holdReads()
        }
    }

    /// Lets held reads proceed.
    public func releaseReads() {
        switch backing {
        case .fifo(let buffer): buffer.releaseReads()
        case .firo(let buffer): buffer.releaseReads()
        case .reservoir(let buffer): buffer.releaseReads()
        }
    }

    /// Announces the end of reception.
    public func finishReception() {
        switch backing {
        case .fifo(let buffer): buffer.finishReception()
        case .firo(let buffer): buffer.finishReception()
        case .reservoir(let buffer): buffer.finishReception()
        }
    }

    /// Wakes waiting readers for good (a stop to checkpoint).
    public func interrupt() {
        switch backing {
        case .fifo(let buffer): buffer.interrupt()
        case .firo(let buffer): buffer.interrupt()
        case .reservoir(let buffer): buffer.interrupt()
        }
    }

    /// Counters and the seen-count distribution.
    public var statistics: BufferStatistics {
        switch backing {
        case .fifo(let buffer): return buffer.statistics
        case .firo(let buffer): return buffer.statistics
        case .reservoir(let buffer): return buffer.statistics
        }
    }

    /// Everything held, for a checkpoint.
    public func snapshot() -> [HeldSample<Sample>] {
        snapshot { $0 }
    }

    /// Everything held, handed to `body` under the buffer's lock (no put completes meanwhile).
    public func snapshot<Result>(_ body: ([HeldSample<Sample>]) -> Result) -> Result {
        switch backing {
        case .fifo(let buffer): return buffer.snapshot(body)
        case .firo(let buffer): return buffer.snapshot(body)
        case .reservoir(let buffer): return buffer.snapshot(body)
        }
    }

    /// Replaces the contents.
    public func restore(_ contents: [HeldSample<Sample>]) {
        switch backing {
        case .fifo(let buffer): buffer.restore(contents)
        case .firo(let buffer): buffer.restore(contents)
        case .reservoir(let buffer): buffer.restore(contents)
        }
    }
}
