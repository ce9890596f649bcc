import Buffers
import Foundation
import Testing

/// Wraps a store and records every read made below the watermark while reception was still on.
struct WatermarkCheckingStore<Base: BufferStore>: BufferStore {
    var base: Base
    let watermark: Int
    /// Shared with the test; written only under the buffer's lock.
    let violations: Counter

    var count: Int { base.count }
    var capacity: Int { base.capacity }
    var canInsert: Bool { base.canInsert }
    mutating func insert(_ sample: Base.Sample) -> HeldSample<Base.Sample>? { base.insert(sample) }
    mutating func read(draining: Bool) -> (sample: Base.Sample, removed: HeldSample<Base.Sample>?) {
        if !draining, base.count < watermark { violations.value += 1 }
        return base.read(draining: draining)
    }
    var contents: [HeldSample<Base.Sample>] { base.contents }
    mutating func restore(_ contents: [HeldSample<Base.Sample>]) { base.restore(contents) }
}

/// One random single-threaded history: puts and reads interleaved by a seeded coin, then the drain.
struct History {
    var reads: [Int] = []
    var statistics: BufferStatistics
    var putOrder: [Int] = []

    init(policy: BufferPolicy, capacity: Int, watermark: Int, seed: UInt64, samples: Int) {
        let buffer = makeSampleBuffer(
            policy: policy, capacity: capacity, watermark: watermark, seed: seed, of: Int.self)
        var coin = SampleGenerator(seed: seed &+ 1)
        var next = 0
        while next < samples {
            if coin.index(below: 3) < 2 {
                if buffer.tryPut(next) {
                    putOrder.append(next)
                    next += 1
                } else if let value = buffer.tryGet() {
                    reads.append(value)
                } else {
                    Issue.record("neither a put nor a read could proceed: \(buffer.statistics)")
                    break
                }
            } else if let value = buffer.tryGet() {
                reads.append(value)
            }
        }
        buffer.finishReception()
        while let value = buffer.get() { reads.append(value) }
        statistics = buffer.statistics
    }
}

let policies = BufferPolicy.allCases
let seeds: [UInt64] = Array(1...60)

@Test("FIFO reads every sample once, in order", arguments: seeds)
func fifoOrder(seed: UInt64) {
    let history = History(policy: .fifo, capacity: 7, watermark: 3, seed: seed, samples: 500)
    #expect(history.reads == Array(0..<500))
    #expect(history.statistics.seenAtExit[1] == 500)
}

@Test("FIRO reads every sample exactly once", arguments: seeds)
func firoExactlyOnce(seed: UInt64) {
    let history = History(policy: .firo, capacity: 16, watermark: 8, seed: seed, samples: 500)
    #expect(history.reads.sorted() == Array(0..<500))
    #expect(history.reads != Array(0..<500), "FIRO should not read in order")
    #expect(history.statistics.evictions == 0)
    #expect(history.statistics.lostUnseen == 0)
}

@Test("the reservoir reads every sample at least once and evicts only read ones", arguments: seeds)
func reservoirAtLeastOnce(seed: UInt64) {
    let history = History(policy: .reservoir, capacity: 16, watermark: 8, seed: seed, samples: 500)
    #expect(Set(history.reads) == Set(0..<500))
    #expect(history.reads.count > 500, "a reservoir re-reads samples")
    #expect(history.statistics.lostUnseen == 0)
    #expect(history.statistics.evictions > 0)
    #expect(history.statistics.population == 0)
    #expect(history.statistics.puts == 500)
    #expect(history.statistics.gets == history.reads.count)
}

@Test("the same seed gives the same reads", arguments: [BufferPolicy.firo, .reservoir])
func determinism(policy: BufferPolicy) {
    let first = History(policy: policy, capacity: 32, watermark: 10, seed: 99, samples: 2000)
    let second = History(policy: policy, capacity: 32, watermark: 10, seed: 99, samples: 2000)
    let other = History(policy: policy, capacity: 32, watermark: 10, seed: 100, samples: 2000)
    #expect(first.reads == second.reads)
    #expect(first.reads != other.reads)
}

@Test("reads wait for the watermark until reception is over", arguments: policies)
func watermark(policy: BufferPolicy) {
    let buffer = makeSampleBuffer(policy: policy, capacity: 20, watermark: 10, seed: 1, of: Int.self)
    for value in 0..<9 { #expect(buffer.tryPut(value)) }
    #expect(buffer.tryGet() == nil)
    #expect(buffer.tryPut(9))
    #expect(buffer.tryGet() != nil)
    buffer.finishReception()
    var drained = 0
    while buffer.tryGet() != nil { drained += 1 }
    #expect(drained == (policy == .reservoir ? 10 : 9))
    #expect(buffer.get() == nil)
}

@Test("a full buffer pushes back; a reservoir frees room by reading", arguments: policies)
func backPressure(policy: BufferPolicy) {
    let buffer = makeSampleBuffer(policy: policy, capacity: 3, watermark: 1, seed: 5, of: Int.self)
    for value in 0..<3 { #expect(buffer.tryPut(value)) }
    #expect(buffer.tryPut(3) == false)
    #expect(buffer.tryGet() != nil)
    #expect(buffer.tryPut(3))
    #expect(buffer.statistics.evictions == (policy == .reservoir ? 1 : 0))
    #expect(buffer.statistics.population == 3)
}

@Test("producer and consumer threads: nothing lost, the watermark holds, the drain ends", arguments: policies)
func concurrentProducerConsumer(policy: BufferPolicy) async {
    let samples = 20_000
    let violations = Counter()
    func checking<Base: BufferStore>(_ base: Base) -> ConcurrentBuffer<WatermarkCheckingStore<Base>> {
        ConcurrentBuffer(
            store: WatermarkCheckingStore(base: base, watermark: 32, violations: violations), watermark: 32)
    }
    let checked: any SampleBuffer<Int> =
        switch policy {
        case .fifo: checking(FIFOStore<Int>(capacity: 64))
        case .firo: checking(FIROStore<Int>(capacity: 64, seed: 3))
        case .reservoir: checking(ReservoirStore<Int>(capacity: 64, seed: 3))
        }
    let producer = Thread {
        for value in 0..<samples { checked.put(value) }
        checked.finishReception()
    }
    let done = DispatchSemaphore(value: 0)
    let collected = Collected()
    let consumer = Thread {
        var batch: [Int] = []
        var reads: [Int] = []
        while checked.getBatch(10, into: &batch) { reads.append(contentsOf: batch) }
        collected.reads = reads
        done.signal()
    }
    producer.start()
    consumer.start()
    done.wait()
    let reads = collected.reads
    let statistics = checked.statistics
    #expect(statistics.lostUnseen == 0)
    #expect(statistics.population == 0)
    #expect(violations.value == 0, "reads below the watermark before the end of reception")
    switch policy {
    case .fifo: #expect(reads == Array(0..<samples))
    case .firo: #expect(reads.sorted() == Array(0..<samples))
    case .reservoir: #expect(Set(reads) == Set(0..<samples))
    }
}

/// Reads handed from the consumer thread to the test.
final class Collected: @unchecked Sendable {
    var reads: [Int] = []
}

/// A count shared between a store and the test.
final class Counter: @unchecked Sendable {
    var value = 0
}

@Test("a snapshot restores contents and read counts", arguments: policies)
func snapshotRoundTrip(policy: BufferPolicy) {
    let buffer = makeSampleBuffer(policy: policy, capacity: 10, watermark: 1, seed: 8, of: Int.self)
    for value in 0..<6 { buffer.put(value) }
    _ = buffer.get()
    let snapshot = buffer.snapshot()
    let copy = makeSampleBuffer(policy: policy, capacity: 10, watermark: 1, seed: 8, of: Int.self)
    copy.restore(snapshot)
    #expect(copy.snapshot().map(\.sample) == snapshot.map(\.sample))
    #expect(copy.snapshot().map(\.seen) == snapshot.map(\.seen))
    #expect(copy.statistics.population == snapshot.count)
}

@Test("a traced run trains every sample; the reservoir trains more and never starves", arguments: policies)
func tracedRun(policy: BufferPolicy) {
    let trace = BufferTrace(
        policy: policy, capacity: 300, watermark: 100, productionPerTick: 4, receptionTicks: 200, batchSize: 10)
    let last = trace.ticks[trace.ticks.count - 1]
    #expect(last.received == 800)
    #expect(last.distinctTrained == 800)
    #expect(last.population == 0)
    #expect(trace.statistics.lostUnseen == 0)
    #expect(trace.ticks.allSatisfy { $0.population <= 300 })
    if policy == .reservoir {
        // Once the watermark is reached the trainer gets a full batch every tick.
        let steady = trace.ticks.filter { $0.time > 30 && $0.time < trace.receptionEnd }
        #expect(zip(steady, steady.dropFirst()).allSatisfy { $1.trained - $0.trained == 10 })
        #expect(last.trained > 800)
    } else {
        #expect(last.trained == 800)
    }
}

@Test("an interrupt wakes a waiting reader without reading anything", arguments: policies)
func interruptWakesReaders(policy: BufferPolicy) {
    let buffer = makeSampleBuffer(policy: policy, capacity: 10, watermark: 5, seed: 2, of: Int.self)
    for value in 0..<3 { buffer.put(value) }
    let done = DispatchSemaphore(value: 0)
    let result = Collected()
    let reader = Thread {
        var batch: [Int] = []
        result.reads = buffer.getBatch(4, into: &batch) ? batch : [-1]
        done.signal()
    }
    reader.start()
    buffer.interrupt()
    done.wait()
    #expect(result.reads == [-1])
    #expect(buffer.statistics.population == 3)
    #expect(buffer.statistics.gets == 0)
}

@Test("a put waiting for room records under the buffer's lock, and gives up when the buffer is interrupted")
func putWithRecordGivesUpOnInterrupt() {
    // FIFO: nothing is ever evicted, so a full buffer makes a writer wait.
    let buffer = TrainingBuffer<Int>(policy: .fifo, capacity: 3, watermark: 3, seed: 1)
    let recorded = Collected()
    for value in 0..<3 {
        #expect(buffer.put(value) { recorded.reads.append(value) })
    }
    #expect(buffer.snapshot { $0.map(\.sample) } == recorded.reads)
    let done = DispatchSemaphore(value: 0)
    let outcome = Collected()
    Thread {
        outcome.reads = [buffer.put(99) { recorded.reads.append(99) } ? 1 : 0]
        done.signal()
    }.start()
    #expect(done.wait(timeout: .now() + 0.2) == .timedOut, "a full FIFO buffer makes the writer wait")
    buffer.interrupt()
    #expect(done.wait(timeout: .now() + 30) == .success, "the interrupt ends the wait")
    #expect(outcome.reads == [0])
    #expect(recorded.reads == [0, 1, 2], "what was not placed is not recorded")
    #expect(buffer.statistics.population == 3)
}

@Test("a bounded batch read comes back empty, partial or whole, and false once drained", arguments: policies)
func boundedBatchReads(policy: BufferPolicy) {
    let buffer = TrainingBuffer<Int>(policy: policy, capacity: 10, watermark: 2, seed: 1)
    var batch: [Int] = []
    #expect(buffer.getBatch(4, into: &batch, waitingAtMost: 0.01), "below the watermark: nothing yet, not drained")
    #expect(batch.isEmpty)
    for value in 0..<3 { buffer.put(value) }
    #expect(buffer.getBatch(2, into: &batch, waitingAtMost: 0.01))
    #expect(batch.count == 2, "two may be read at once: a whole batch")
    for value in 3..<5 { buffer.put(value) }
    buffer.finishReception()
    var read: [Int] = []
    while buffer.getBatch(4, into: &batch, waitingAtMost: 0.01) {
        #expect(!batch.isEmpty, "while draining a read is never empty")
        read += batch
    }
    #expect(batch.isEmpty)
    if policy != .reservoir { #expect(read.count == 3, "FIFO and FIRO read the rest once") }
    #expect(buffer.statistics.population == 0)
}
