import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The locking, waiting and counting that every policy shares, around a single-threaded ``BufferStore``.
public final class ConcurrentBuffer<Store: BufferStore>: SampleBuffer, @unchecked Sendable
where Store.Sample: Sendable {
    /// What the buffer holds.
    public typealias Sample = Store.Sample

    /// Seen counts above this share the last bucket of ``BufferStatistics/seenAtExit``.
    public static var seenBuckets: Int { 64 }

    // Everything below is guarded by `lock`.
    private let lock = ConditionLock()
    /// Writers about to take the lock: a reader that just released it yields to them, since a mutex is not fair and a
    /// reservoir reader (which never runs out of samples to re-read) could otherwise starve the ingest.
    private let arrivingWriters = Atomic<Int>(0)
    private var store: Store
    private let watermark: Int
    private var receptionOver = false
    private var interrupted = false
    private var readsHeld = false
    private var puts = 0
    private var gets = 0
    private var evictions = 0
    private var seenAtExit = [Int](repeating: 0, count: ConcurrentBuffer.seenBuckets)
    private var waitingWriters = 0
    private var waitingReaders = 0

    /// Wraps `store`; reads wait until it holds `watermark` samples (clamped to 1...capacity).
    public init(store: Store, watermark: Int) {
        self.store = store
        self.watermark = min(max(1, watermark), store.capacity)
    }

    /// Adds a sample, waiting while there is no room (a buffer interrupted meanwhile drops it: see
    /// `put(_:placed:)`).
    public func put(_ sample: Sample) {
        _ = put(sample) {}
    }

    /// Adds a sample, waiting while there is no room, and runs `placed` under the buffer's lock right after (so what
    /// `snapshot(_:)` sees has both or neither). Returns false without adding it when the buffer is interrupted
    /// (the server stops): a writer never waits for a reader that will not come.
    public func put(_ sample: Sample, placed: () -> Void) -> Bool {
        arrivingWriters.add(1, ordering: .relaxed)
        lock.lock()
        arrivingWriters.subtract(1, ordering: .relaxed)
        defer { lock.unlock() }
        while !store.canInsert {
            if interrupted { return false }
            waitingWriters += 1
            lock.waitNotFull()
            waitingWriters -= 1
        }
        insertLocked(sample)
        placed()
        return true
    }

    /// Adds a sample if it can be done without waiting.
    public func tryPut(_ sample: Sample) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard store.canInsert else { return false }
        insertLocked(sample)
        return true
    }

    private func insertLocked(_ sample: Sample) {
        if let evicted = store.insert(sample) {
            evictions += 1
            record(exit: evicted.seen)
        }
        puts += 1
        if waitingReaders > 0, store.count >= watermark { lock.signalNotEmpty() }
    }

    private func record(exit seen: Int) {
        seenAtExit[min(seen, Self.seenBuckets - 1)] += 1
    }

    /// Whether a read may proceed now; the lock is held. Held reads wait beyond the watermark, until released, the
    /// buffer is full or reception is over.
    private var readable: Bool {
        store.count > 0
            && (receptionOver || (store.count >= watermark && (!readsHeld || store.count >= store.capacity)))
    }

    /// Makes reads wait, beyond the watermark, until ``releaseReads()`` (or until the buffer is full, or reception
    /// is over): the server's normalisation warm-up.
    public func holdReads() {
        lock.lock()
        readsHeld = true
        lock.unlock()
    }

    /// Lets held reads proceed.
    public func releaseReads() {
        lock.lock()
        readsHeld = false
        lock.broadcastAll()
        lock.unlock()
    }

    /// The next sample, waiting for the watermark; nil once drained.
    public func get() -> Sample? {
        lock.lock()
        let sample = waitReadable() ? readLocked() : nil
        lock.unlock()
        yieldToWriters()
        return sample
    }

    private func yieldToWriters() {
        if arrivingWriters.load(ordering: .relaxed) > 0 { sched_yield() }
    }

    /// The next sample if one may be read now.
    public func tryGet() -> Sample? {
        lock.lock()
        defer { lock.unlock() }
        return readable ? readLocked() : nil
    }

    /// Up to `count` samples with one lock.
    public func getBatch(_ count: Int, into batch: inout [Sample]) -> Bool {
        batch.removeAll(keepingCapacity: true)
        lock.lock()
        defer {
            lock.unlock()
            yieldToWriters()
        }
        while batch.count < count {
            if batch.isEmpty {
                guard waitReadable() else { return false }
            } else if !readable {
                // A partial batch is handed out only while draining; otherwise wait for more.
                if receptionOver { break }
                guard waitReadable() else { break }
            }
            batch.append(readLocked())
        }
        return true
    }

    /// Up to `count` samples with one lock, waiting at most `seconds` for a whole batch: the batch is whole when the
    /// samples are there (or, while draining, whatever is left), partial when the wait ran out with fewer readable, and
    /// empty (nothing read) when nothing may be read yet. False, with an empty batch, once drained or interrupted. For a
    /// training rank that must come back to its collectives even when its buffer waits for data.
    public func getBatch(_ count: Int, into batch: inout [Sample], waitingAtMost seconds: Double) -> Bool {
        batch.removeAll(keepingCapacity: true)
        lock.lock()
        defer {
            lock.unlock()
            yieldToWriters()
        }
        let deadline = ConditionLock.deadline(after: seconds)
        while !(readable && (receptionOver || store.count >= count)) {
            if interrupted {
                if readable { break }
                return false
            }
            if receptionOver, store.count == 0 { return false }
            waitingReaders += 1
            let woken = lock.waitNotEmpty(until: deadline)
            waitingReaders -= 1
            if !woken { break }
        }
        while batch.count < count, readable { batch.append(readLocked()) }
        return true
    }

    /// Waits until a read may proceed; false when reception is over and nothing is left.
    private func waitReadable() -> Bool {
        while !readable {
            if interrupted { return false }
            if receptionOver, store.count == 0 { return false }
            waitingReaders += 1
            lock.waitNotEmpty()
            waitingReaders -= 1
        }
        return true
    }

    private func readLocked() -> Sample {
        let (sample, removed) = store.read(draining: receptionOver)
        gets += 1
        if let removed {
            record(exit: removed.seen)
            if waitingWriters > 0 { lock.signalNotFull() }
        } else if waitingWriters > 0, store.canInsert {
            // The first read of a sample can make a full reservoir writable again.
            lock.signalNotFull()
        }
        return sample
    }

    /// Announces the end of reception and wakes everyone.
    public func finishReception() {
        lock.lock()
        receptionOver = true
        lock.broadcastAll()
        lock.unlock()
    }

    /// Wakes every waiting reader and writer; from now on reads that would wait return nothing instead, and
    /// `put(_:placed:)` gives up instead of waiting (the server stops to checkpoint). Nothing held is read or removed
    /// by it.
    public func interrupt() {
        lock.lock()
        interrupted = true
        lock.broadcastAll()
        lock.unlock()
    }

    /// Counters and the seen-count distribution.
    public var statistics: BufferStatistics {
        lock.lock()
        defer { lock.unlock() }
        return BufferStatistics(
            population: store.count, puts: puts, gets: gets, evictions: evictions, receptionOver: receptionOver,
            seenAtExit: seenAtExit)
    }

    /// Everything held, for a checkpoint.
    public func snapshot() -> [HeldSample<Sample>] {
        snapshot { $0 }
    }

    /// Everything held, handed to `body` under the buffer's lock (no put completes meanwhile).
    public func snapshot<Result>(_ body: ([HeldSample<Sample>]) -> Result) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return body(store.contents)
    }

    /// Replaces the contents.
    public func restore(_ contents: [HeldSample<Sample>]) {
        lock.lock()
        store.restore(contents)
        lock.broadcastAll()
        lock.unlock()
    }
}
