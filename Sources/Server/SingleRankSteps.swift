import Buffers
import Foundation
import Ingest
import Training

/// The steps of a one-rank server: the trainer waits on its buffer for a whole batch (a partial one only while
/// draining), and a monitor thread ends the wait: reception over (the buffer drains), or a stop request (the wait
/// ends without reading). Counts are read live.
final class SingleRankSteps: StepCoordinator {
    private let buffer: TrainingBuffer<TrainingSample>
    private let sink: StudySink
    private let ingest: IngestServer
    private let batchSize: Int
    private let isStopRequested: @Sendable () -> Bool
    private let monitor: Thread
    private var scoreClock = ScoreClock()

    /// Starts the monitor thread.
    init(
        buffer: TrainingBuffer<TrainingSample>, sink: StudySink, ingest: IngestServer, batchSize: Int,
        isStopRequested: @escaping @Sendable () -> Bool
    ) {
        self.buffer = buffer
        self.sink = sink
        self.ingest = ingest
        self.batchSize = batchSize
        self.isStopRequested = isStopRequested
        monitor = Thread {
            while true {
                if isStopRequested() {
                    buffer.interrupt()
                    return
                }
                if ingest.isReceptionOver {
                    buffer.finishReception()
                    return
                }
                usleep(20_000)
            }
        }
        monitor.start()
    }

    func next(into batch: inout [TrainingSample]) -> StepOutcome {
        // Drained or interrupted: ``finish(stopped:)`` tells which.
        buffer.getBatch(batchSize, into: &batch) ? .train : .drained
    }

    var stopsAfterStep: Bool { isStopRequested() }

    func finish(stopped: Bool) -> Bool {
        monitor.cancel()
        return isStopRequested()
    }

    var populations: [Int] { [buffer.statistics.population] }
    var received: Int { sink.receivedCount }
    var duplicates: Int { ingest.statistics.duplicates }
    var ingestStatistics: IngestStatistics? { ingest.statistics }
    func scoresAreDue() -> Bool { scoreClock.due() }
}
