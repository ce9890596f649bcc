import Foundation
import Ingest
import Reporting
import Training

/// The metrics of a training run: the records of `metrics.jsonl` and the same scalars as TensorBoard events in
/// `tensorboard/` (both written by rank 0 only), the validation on every rank's held-out samples, the status a
/// launcher's ping reads, and the report drawn from the records at the end.
///
/// Times count from the server's first start: a restart goes on from the checkpoint's elapsed seconds.
struct MetricsRecorder {
    private let metrics: MetricsLog?
    private var tensorBoard: TensorBoardWriter?
    private let log: @Sendable (String) -> Void
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    private let elapsedBefore: Double
    private var lossSum = 0.0
    private var lossCount = 0
    private var samplesSinceRecord = 0
    private var stepSeconds = 0.0
    private var lastRecord = 0.0
    private var lastValidation: ValidationMetrics?
    private var checkpointsSinceRecord = 0
    private var checkpointBytes = 0
    private var checkpointSeconds = 0.0
    /// Bytes and seconds of every checkpoint this process wrote.
    private(set) var totalCheckpointBytes = 0
    private(set) var totalCheckpointSeconds = 0.0
    /// The batch whose weights were exported, said in the last record.
    var exportedBatch: Int?
    /// Checkpoints that could not be written by this process.
    private(set) var checkpointFailures = 0
    /// The error of the latest checkpoint, while it is one that failed.
    private(set) var lastCheckpointError: String?

    /// Starts the clock at `elapsedBefore` seconds; appends records to `url` when there is one, and TensorBoard
    /// events to a new event file in `tensorboard/` beside it. TensorBoard events that cannot be written are said
    /// once through `log` and given up: they never stop training.
    init(url: URL?, elapsedBefore: Double, log: @escaping @Sendable (String) -> Void = { _ in }) throws {
        start = clock.now
        self.elapsedBefore = elapsedBefore
        self.log = log
        metrics = try url.map { try MetricsLog(url: $0) }
        if let url {
            let directory = url.deletingLastPathComponent().appendingPathComponent("tensorboard")
            do {
                tensorBoard = try TensorBoardWriter(directory: directory)
            } catch {
                log("no TensorBoard events: cannot open an event file in \(directory.path): \(error)")
            }
        }
        lastRecord = elapsed()
    }

    /// Seconds since `instant` on the recorder's clock.
    func seconds(since instant: ContinuousClock.Instant) -> Double {
        let duration = clock.now - instant
        return Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    /// Now, on the recorder's clock.
    var now: ContinuousClock.Instant { clock.now }

    /// Seconds since the server first started.
    func elapsed() -> Double {
        let duration = clock.now - start
        return elapsedBefore + Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    /// Counts a trained step, which took `seconds`, towards the next record.
    mutating func add(_ result: StepResult, seconds: Double) {
        stepSeconds += seconds
        lossSum += Double(result.loss)
        lossCount += 1
        samplesSinceRecord += result.samples
    }

    /// Appends the record after `batches` batches (with `validation` when evaluated) and updates the status;
    /// `populations`, `received` and `ingest` (the ingest's counters, nil offline) count every rank's.
    mutating func record(
        batches: Int, trainer: any SurrogateTrainer, validation: ValidationMetrics?, full: Bool, populations: [Int],
        received: Int, ingest: IngestStatistics? = nil, updateStatus: ((inout TrainingStatus) -> Void) -> Void
    ) throws {
        if let validation { lastValidation = validation }
        let now = elapsed()
        let optimizer = trainer.configuration.optimizer
        var line = MetricsRecord(
            batch: batches, seconds: now, trainLoss: lossCount > 0 ? lossSum / Double(lossCount) : 0,
            validationLoss: validation?.loss, relativeL2: validation?.relativeL2,
            samplesPerSecond: Double(samplesSinceRecord) / max(now - lastRecord, 1e-9), received: received,
            trained: trainer.samplesSeen, population: populations.reduce(0, +),
            learningRate: Double(optimizer.learningRate(atStep: trainer.stepCount) * trainer.learningRateScale),
            stepSeconds: stepSeconds)
        line.trainingSamplesPerSecond = stepSeconds > 0 ? Double(samplesSinceRecord) / stepSeconds : nil
        if let validation {
            line.validationRmse = validation.rmse
            line.validationMaxError = validation.maxError
            line.validationP99Error = validation.p99Error
            line.baselineRelativeL2 = validation.baselineRelativeL2
            line.relativeL2ByStep = validation.relativeL2ByStep
            line.validationSamples = validation.samples
            line.validationFull = full
        }
        if checkpointsSinceRecord > 0 {
            line.checkpointBytes = checkpointBytes
            line.checkpointSeconds = checkpointSeconds
        }
        line.exportedBatch = exportedBatch
        line.checkpointFailures = checkpointFailures > 0 ? checkpointFailures : nil
        line.lastCheckpointError = lastCheckpointError
        if let ingest {
            line.duplicates = ingest.duplicates
            var rejected: [String: Int] = [:]
            for (reason, count) in ingest.rejected where count > 0 { rejected[reason.rawValue] = count }
            line.rejected = rejected
        }
        try metrics?.append(line)
        writeEvents(line)
        updateStatus { [lastValidation, checkpointFailures, lastCheckpointError] in
            $0.checkpointFailures = checkpointFailures
            $0.lastCheckpointError = lastCheckpointError
            $0.population = populations
            $0.trainedPerSecond = line.samplesPerSecond
            $0.batches = batches
            $0.validationLoss = lastValidation?.loss
            $0.validationRelativeL2 = lastValidation?.relativeL2
            $0.validationRMSE = lastValidation?.rmse
        }
        lossSum = 0
        lossCount = 0
        samplesSinceRecord = 0
        stepSeconds = 0
        checkpointsSinceRecord = 0
        checkpointBytes = 0
        checkpointSeconds = 0
        lastRecord = now
    }

    /// The relative L2 error of the latest validation.
    var lastRelativeL2: Double? { lastValidation?.relativeL2 }

    /// Counts a checkpoint of `bytes` that took `seconds` towards the next record.
    mutating func addCheckpoint(bytes: Int, seconds: Double) {
        checkpointsSinceRecord += 1
        checkpointBytes += bytes
        checkpointSeconds += seconds
        totalCheckpointBytes += bytes
        totalCheckpointSeconds += seconds
        lastCheckpointError = nil
    }

    /// Counts a checkpoint that could not be written, for `reason`: the records say it until one is written.
    mutating func addCheckpointFailure(_ reason: String) {
        checkpointFailures += 1
        lastCheckpointError = reason
    }

    /// Writes the report's excerpt of the held-out samples `held`, with this rank's buffer `readCounts`, to `url`
    /// (rank 0, at each validation); a write
    /// that fails is said and training goes on.
    func writeExcerpt(of held: [UInt32: [TrainingSample]], readCounts: [Int: Int], batches: Int, to url: URL) {
        do {
            try ReportExcerpt.choosing(from: held, readCounts: readCounts, batches: batches).write(to: url)
        } catch {
            log("cannot write the report's excerpt \(url.path): \(error)")
        }
    }

    /// The record as TensorBoard scalars at step `batch`; a write that fails ends the events (said once).
    private mutating func writeEvents(_ line: MetricsRecord) {
        guard let writer = tensorBoard else { return }
        var scalars: [(tag: String, value: Double)] = [
            ("loss/train", line.trainLoss), ("buffer/population", Double(line.population)),
            ("buffer/received", Double(line.received)), ("throughput/samples_per_second", line.samplesPerSecond),
            ("optimizer/learning_rate", line.learningRate),
        ]
        if let loss = line.validationLoss { scalars.append(("loss/validation", loss)) }
        if let relativeL2 = line.relativeL2 { scalars.append(("validation/relative_l2", relativeL2)) }
        do {
            try writer.add(step: line.batch, scalars: scalars)
        } catch {
            log("TensorBoard events stop: cannot write \(writer.url.path): \(error)")
            tensorBoard = nil
        }
    }

    /// The validation metrics over every rank's held-out samples (`held` on this rank; at most `subsample` of them,
    /// spread evenly, when given), with `baseline` the mean training field, or nil when there are none or the
    /// trainer cannot predict yet (collective).
    static func validate(
        _ trainer: any SurrogateTrainer, _ held: [TrainingSample], subsample: Int?, baseline: [Float]?, timeSteps: Int,
        _ communicator: some ServerCommunicator
    ) throws -> ValidationMetrics? {
        let usable = trainer.normalizer.isFrozen || trainer.samplesSeen > 0
        var sums = ValidationSums(timeSteps: timeSteps)
        if !held.isEmpty, usable {
            let chosen: [TrainingSample]
            if let subsample, held.count > subsample {
                let share = max(1, subsample / communicator.size)
                chosen = (0..<share).map { held[$0 * held.count / share] }
            } else {
                chosen = held
            }
            try trainer.evaluate(chosen, baseline: baseline, into: &sums)
        }
        try communicator.sumInPlace(&sums.values)
        var largest = [sums.maxErrorBits]
        try communicator.maximumInPlace(&largest)
        sums.maxErrorBits = largest[0]
        return sums.metrics(hasBaseline: baseline != nil)
    }

    /// Draws the report of the metrics in `metricsURL` into `directory`.
    static func writeReport(
        metricsURL: URL, directory: URL, study: String, capacity: Int, watermark: Int
    ) throws -> TrainingReport {
        let report = try TrainingReport(metricsURL: metricsURL, directory: directory)
        try report.write(study: study, capacity: capacity, watermark: watermark)
        return report
    }
}
