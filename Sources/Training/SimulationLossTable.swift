/// Per simulation, the training loss of each of its samples as the trainer reads them: the signal active sampling
/// follows (docs/server.md, "Per-simulation scores").
///
/// A sample is one time step of one simulation under one parameter set (``SampleOrigin``). The table keeps, for each
/// simulation, the latest loss of each of its samples (a sample read again, as a reservoir does, has its loss
/// replaced), the sum of its samples' losses at their first read, and how many reads there were: one `Float` per
/// sample read and a few counters per simulation. A simulation's samples of a newer parameter set (a redraw: another
/// point of the parameter space under the same id) replace those of the older one, whose later reads are ignored.
///
/// One rank's table holds what that rank read; the server adds the ranks' ``Entry/sums`` (sums and counts, never
/// means: a simulation's samples are split across ranks).
public struct SimulationLossTable: Sendable {
    /// A loss slot of a sample not read yet (losses are never negative).
    public static let unread: Float = -1

    /// One simulation's samples under its latest parameter set.
    public struct Entry: Sendable, Equatable {
        /// The parameter set the samples were drawn under.
        public private(set) var parameterSet: UInt32
        /// The latest loss of each time step's sample, ``SimulationLossTable/unread`` for a sample never read.
        public private(set) var latest: [Float]
        /// Σ of `latest` over the samples read.
        public private(set) var latestSum: Double
        /// Σ over the samples read of their loss at their first read.
        public private(set) var firstSum: Double
        /// Reads of the samples (a sample read n times counts n).
        public private(set) var reads: Int
        /// Samples read at least once.
        public private(set) var samples: Int

        /// An entry with nothing read, for `timeSteps` steps.
        init(parameterSet: UInt32, timeSteps: Int) {
            self.parameterSet = parameterSet
            latest = [Float](repeating: SimulationLossTable.unread, count: timeSteps)
            latestSum = 0
            firstSum = 0
            reads = 0
            samples = 0
        }

        /// An entry as a checkpoint holds it: `latestSum` and `samples` are recomputed from `latest`.
        public init(parameterSet: UInt32, latest: [Float], firstSum: Double, reads: Int) {
            self.parameterSet = parameterSet
            self.latest = latest
            self.firstSum = firstSum
            self.reads = reads
            latestSum = 0
            samples = 0
            for loss in latest where !(loss < 0) {
                latestSum += Double(loss)
                samples += 1
            }
        }

        mutating func record(step: Int, loss: Float) {
            if step >= latest.count {
                latest.append(contentsOf: repeatElement(SimulationLossTable.unread, count: step + 1 - latest.count))
            }
            let previous = latest[step]
            if previous < 0 {
                samples += 1
                firstSum += Double(loss)
                latestSum += Double(loss)
            } else {
                latestSum += Double(loss) - Double(previous)
            }
            latest[step] = loss
            reads += 1
        }

        /// What the ranks add up: the sums and counts of ``SimulationLossTable/Sums``.
        public var sums: Sums {
            Sums(latest: latestSum, first: firstSum, reads: reads, samples: samples)
        }
    }

    /// One simulation's sums and counts, added over the ranks before anything is divided.
    public struct Sums: Sendable, Hashable {
        /// Σ of the samples' latest losses.
        public var latest: Double
        /// Σ of the samples' first losses.
        public var first: Double
        /// Reads.
        public var reads: Int
        /// Samples read at least once.
        public var samples: Int

        /// Sums.
        public init(latest: Double = 0, first: Double = 0, reads: Int = 0, samples: Int = 0) {
            self.latest = latest
            self.first = first
            self.reads = reads
            self.samples = samples
        }

        /// Both sums' and counts' totals.
        public func adding(_ other: Sums) -> Sums {
            Sums(
                latest: latest + other.latest, first: first + other.first, reads: reads + other.reads,
                samples: samples + other.samples)
        }

        /// The mean of the samples' latest losses (nil without a sample).
        public var loss: Double? { samples > 0 ? latest / Double(samples) : nil }
        /// The mean of the samples' first losses (nil without a sample).
        public var firstLoss: Double? { samples > 0 ? first / Double(samples) : nil }
    }

    /// The simulations with a sample read, in the order they were first read, and where each is.
    private var slots: [Entry] = []
    private var slotIDs: [UInt32] = []
    private var slotOfSimulation: [UInt32: Int] = [:]
    /// The time steps of a simulation (the slots an entry starts with; a later step grows it).
    public let timeSteps: Int

    /// An empty table for simulations of `timeSteps` steps.
    public init(timeSteps: Int) {
        self.timeSteps = max(timeSteps, 0)
    }

    /// A table with `entries` (a checkpoint's).
    public init(timeSteps: Int, entries: [UInt32: Entry]) {
        self.timeSteps = max(timeSteps, 0)
        for (id, entry) in entries.sorted(by: { $0.key < $1.key }) {
            slotOfSimulation[id] = slots.count
            slots.append(entry)
            slotIDs.append(id)
        }
    }

    /// The simulations with a sample read, by id (a copy: for checkpoints and tests).
    public var entries: [UInt32: Entry] {
        Dictionary(uniqueKeysWithValues: zip(slotIDs, slots))
    }

    /// The entry of simulation `id`, if one of its samples was read.
    public func entry(for id: UInt32) -> Entry? {
        slotOfSimulation[id].map { slots[$0] }
    }

    /// The simulations with a sample read.
    public var simulationIDs: [UInt32] { slotIDs }

    /// Counts one read of the sample of `origin`, whose loss was `loss`.
    public mutating func record(_ origin: SampleOrigin, loss: Float) {
        let set = origin.parameterSet
        let id = origin.simulationID
        guard let slot = slotOfSimulation[id] else {
            slotOfSimulation[id] = slots.count
            slotIDs.append(id)
            slots.append(Entry(parameterSet: set, timeSteps: timeSteps))
            slots[slots.count - 1].record(step: Int(origin.timeStep), loss: loss)
            return
        }
        let current = slots[slot].parameterSet
        if current > set { return }
        if current < set { slots[slot] = Entry(parameterSet: set, timeSteps: timeSteps) }
        slots[slot].record(step: Int(origin.timeStep), loss: loss)
    }

    /// Counts one read of each of `samples` with its loss (the trainer's ``Trainer/sampleLosses``, in the same
    /// order); samples without an origin are skipped.
    public mutating func record(_ samples: [TrainingSample], losses: UnsafeBufferPointer<Float>) {
        for index in 0..<min(samples.count, losses.count) {
            if let origin = samples[index].origin { record(origin, loss: losses[index]) }
        }
    }

    /// Samples read at least once, all simulations together.
    public var samples: Int { slots.reduce(0) { $0 + $1.samples } }
}
