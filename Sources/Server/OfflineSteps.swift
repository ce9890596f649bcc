import Ingest
import Randomness
import Training

/// The steps of offline training: `epochs` passes over the stored training samples, each in a new random order
/// (seeded by the study), in batches of `batchSize` (the last of an epoch possibly smaller).
final class OfflineSteps: StepCoordinator {
    private let samples: [TrainingSample]
    private let batchSize: Int
    private let epochs: Int
    private var order: [Int]
    private var position = 0
    private var epoch = 0
    private var generator: Xoshiro256StarStar

    /// Steps over `samples`.
    init(samples: [TrainingSample], batchSize: Int, epochs: Int, seed: UInt64) {
        self.samples = samples
        self.batchSize = batchSize
        self.epochs = epochs
        order = Array(samples.indices)
        generator = Xoshiro256StarStar(seed: seed)
        shuffle()
    }

    /// Batches in all.
    var totalBatches: Int {
        let perEpoch = (samples.count + batchSize - 1) / batchSize
        return perEpoch * epochs
    }

    private func shuffle() {
        guard order.count > 1 else { return }
        for i in stride(from: order.count - 1, to: 0, by: -1) {
            let j = Int(generator.next(below: UInt64(i + 1)))
            order.swapAt(i, j)
        }
    }

    func next(into batch: inout [TrainingSample]) -> StepOutcome {
        batch.removeAll(keepingCapacity: true)
        if position >= order.count {
            epoch += 1
            position = 0
            shuffle()
        }
        guard epoch < epochs, !order.isEmpty else { return .drained }
        let end = min(position + batchSize, order.count)
        for index in order[position..<end] { batch.append(samples[index]) }
        position = end
        batchesServed += 1
        return .train
    }

    var stopsAfterStep: Bool { false }
    func finish(stopped: Bool) -> Bool { false }
    var populations: [Int] { [samples.count] }
    var received: Int { samples.count }
    var duplicates: Int { 0 }
    var ingestStatistics: IngestStatistics? { nil }
    /// Offline training has no status to report them in: the scores are brought together at the end only.
    func scoresAreDue() -> Bool { false }
    /// Batches handed out so far.
    private(set) var batchesServed = 0
    /// Epochs completed.
    var epochsDone: Int { epoch }
}
