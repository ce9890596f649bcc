/// A deterministic run of a buffer between a steady producer and a trainer, tick by tick, for docs and tests.
///
/// Each tick the producer offers `productionPerTick` new samples (while reception lasts) and stalls on a full
/// buffer (back-pressure); then the trainer asks for one batch of `batchSize` samples. After `receptionTicks` the
/// end of reception is announced and the buffer drains. The run records what a user would plot.
public struct BufferTrace: Sendable {
    /// One tick's state, after the producer and the trainer acted.
    public struct Tick: Sendable, Hashable {
        /// The tick.
        public var time: Int
        /// Samples held.
        public var population: Int
        /// Samples accepted so far.
        public var received: Int
        /// Reads so far (samples trained on, counting repeats).
        public var trained: Int
        /// Distinct samples read at least once so far.
        public var distinctTrained: Int
        /// Ticks so far in which the producer could not place everything it had.
        public var stalledTicks: Int
    }

    /// The policy traced.
    public let policy: BufferPolicy
    /// Every tick.
    public private(set) var ticks: [Tick] = []
    /// The tick at which reception ended.
    public let receptionEnd: Int
    /// The buffer's statistics at the end.
    public private(set) var statistics: BufferStatistics

    /// Runs the scenario to the end of the drain (or `maxTicks`).
    public init(
        policy: BufferPolicy, capacity: Int, watermark: Int, productionPerTick: Int, receptionTicks: Int,
        batchSize: Int, seed: UInt64 = 1, maxTicks: Int = 100_000
    ) {
        self.policy = policy
        let buffer = TrainingBuffer<Int>(policy: policy, capacity: capacity, watermark: watermark, seed: seed)
        var next = 0
        var pending = 0
        var trained = 0
        var stalled = 0
        var seen = [Bool]()
        var distinct = 0
        var time = 0
        var receptionOver = false
        var batch: [Int] = []
        batch.reserveCapacity(batchSize)
        var end = receptionTicks
        while time < maxTicks {
            if time < receptionTicks {
                pending += productionPerTick
            }
            while pending > 0, buffer.tryPut(next) {
                next += 1
                pending -= 1
                seen.append(false)
            }
            if pending > 0 { stalled += 1 }
            if !receptionOver, time >= receptionTicks, pending == 0 {
                buffer.finishReception()
                receptionOver = true
                end = time
            }
            batch.removeAll(keepingCapacity: true)
            while batch.count < batchSize, let sample = buffer.tryGet() { batch.append(sample) }
            for sample in batch where !seen[sample] {
                seen[sample] = true
                distinct += 1
            }
            trained += batch.count
            let population = buffer.statistics.population
            ticks.append(
                Tick(
                    time: time, population: population, received: next, trained: trained, distinctTrained: distinct,
                    stalledTicks: stalled))
            time += 1
            if receptionOver, population == 0 { break }
        }
        receptionEnd = end
        statistics = buffer.statistics
    }
}
