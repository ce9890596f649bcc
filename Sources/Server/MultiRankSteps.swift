import Buffers
import Ingest
import Training

/// The steps of a rank of a multi-rank server: each turn, this rank reads what its buffer has within a bounded wait,
/// then every rank reports to the others (one all-gather of ``RankReport``s) and they decide together: train a step
/// when any has samples, stop when every buffer is drained or one was asked to stop. Completion is agreed when any
/// rank's moved; rank 0 keeps the others' counts for the status. Counts are those of the last exchange.
final class MultiRankSteps<Communicator: ServerCommunicator>: StepCoordinator {
    private let communicator: Communicator
    private let buffer: TrainingBuffer<TrainingSample>
    private let sink: StudySink
    private let ingest: IngestServer
    private let batchSize: Int
    private let isStopRequested: @Sendable () -> Bool
    private let updateStatus: ((inout TrainingStatus) -> Void) -> Void
    private var reports: [RankReport] = []
    private var syncedCompletion = -1
    private var receptionAnnounced = false
    private var othersTraining = false
    private var stopAgreed = false
    private var scoreClock = ScoreClock()
    private var scoresAgreed = false

    /// The steps of `communicator`'s rank; `updateStatus` changes the status a launcher's ping reads.
    init(
        communicator: Communicator, buffer: TrainingBuffer<TrainingSample>, sink: StudySink, ingest: IngestServer,
        batchSize: Int, isStopRequested: @escaping @Sendable () -> Bool,
        updateStatus: @escaping ((inout TrainingStatus) -> Void) -> Void
    ) {
        self.communicator = communicator
        self.buffer = buffer
        self.sink = sink
        self.ingest = ingest
        self.batchSize = batchSize
        self.isStopRequested = isStopRequested
        self.updateStatus = updateStatus
    }

    func next(into batch: inout [TrainingSample]) throws -> StepOutcome {
        // A rank whose buffer has nothing waits up to 50 ms before it reports, but hardly at all while the others
        // train (it must not hold their steps back).
        let readable = buffer.getBatch(batchSize, into: &batch, waitingAtMost: othersTraining ? 0.002 : 0.05)
        let all = try exchange(staged: batch.count, drained: !readable)
        let count = all.reduce(0) { $0 + $1.staged }
        othersTraining = count > 0
        stopAgreed = all.contains(where: \.stop)
        guard count == 0 else { return .train }
        if all.allSatisfy(\.drained) { return .drained }
        return stopAgreed ? .stopped : .idle
    }

    var stopsAfterStep: Bool { stopAgreed }

    func finish(stopped: Bool) throws -> Bool {
        _ = try exchange(staged: 0, drained: true)
        return stopped
    }

    var populations: [Int] { reports.map(\.population) }
    var received: Int { reports.reduce(0) { $0 + $1.received } }
    var duplicates: Int { reports.reduce(0) { $0 + $1.statistics.duplicates } }
    var ingestStatistics: IngestStatistics? { reports.reduce(IngestStatistics()) { $0.adding($1.statistics) } }

    func scoresAreDue() -> Bool {
        defer { scoresAgreed = false }
        return scoresAgreed
    }

    /// Every rank's report (one all-gather); agrees on completion when any rank's moved.
    private func exchange(staged: Int, drained: Bool) throws -> [RankReport] {
        var mine = RankReport()
        mine.staged = staged
        mine.drained = drained
        mine.stop = isStopRequested()
        let version = ingest.completionVersion
        mine.completionChanged = version != syncedCompletion
        mine.population = buffer.statistics.population
        mine.received = sink.receivedCount
        mine.statistics = ingest.statistics
        // Rank 0's clock says when the ranks bring their scores together: the flag rides in this exchange, so the
        // scores add no collective to a turn but their own reduction, once a second.
        mine.scoresDue = communicator.rank == 0 && scoreClock.due()
        let all = try communicator.allGather(mine.encoded).map(RankReport.init)
        scoresAgreed = all[0].scoresDue
        if all.contains(where: \.completionChanged) {
            var completion = ingest.localCompletion()
            try communicator.maximumInPlace(&completion)
            ingest.applyGlobalCompletion(completion)
            syncedCompletion = version
            if !receptionAnnounced, ingest.isReceptionOver {
                receptionAnnounced = true
                buffer.finishReception()
            }
        }
        if communicator.rank == 0 {
            let peers = all.dropFirst().reduce(IngestStatistics()) { $0.adding($1.statistics) }
            updateStatus {
                $0.population = all.map(\.population)
                $0.peers = peers
            }
        }
        reports = all
        return all
    }
}
