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
    private var lastValidation: (loss: Double, relativeL2: Double)?

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

    /// Appends the record after `batches` batches (with `validation`, the validation loss and relative L2 error,
    /// when evaluated) and updates the status; `populations` and `received` count every rank's.
    mutating func record(
        batches: Int, trainer: Trainer, validation: (loss: Double, relativeL2: Double)?, populations: [Int],
        received: Int, updateStatus: ((inout TrainingStatus) -> Void) -> Void
    ) throws {
        if let validation { lastValidation = validation }
        let now = elapsed()
        let line = MetricsRecord(
            batch: batches, seconds: now, trainLoss: lossCount > 0 ? lossSum / Double(lossCount) : 0,
            validationLoss: validation?.loss, relativeL2: validation?.relativeL2,
            samplesPerSecond: Double(samplesSinceRecord) / max(now - lastRecord, 1e-9), received: received,
            trained: trainer.samplesSeen, population: populations.reduce(0, +),
            learningRate: Double(trainer.configuration.optimizer.learningRate(atStep: trainer.stepCount)),
            stepSeconds: stepSeconds)
        try metrics?.append(line)
        writeEvents(line)
        updateStatus { [lastValidation] in
            $0.population = populations
            $0.trainedPerSecond = line.samplesPerSecond
            $0.batches = batches
            $0.validationLoss = lastValidation?.loss
            $0.validationRelativeL2 = lastValidation?.relativeL2
        }
        lossSum = 0
        lossCount = 0
        samplesSinceRecord = 0
        stepSeconds = 0
        lastRecord = now
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

    /// The validation loss and relative L2 error over every rank's held-out samples (`held` on this rank), or nil
    /// when there are none or the trainer cannot predict yet (collective).
    static func validate(
        _ trainer: Trainer, _ held: [TrainingSample], _ communicator: some ServerCommunicator
    ) throws -> (loss: Double, relativeL2: Double)? {
        let usable = trainer.normalizer.isFrozen || trainer.samplesSeen > 0
        var sums = [0.0, 0.0, 0.0, 0.0]
        if !held.isEmpty, usable {
            sums[0] = Double(try trainer.loss(held)) * Double(held.count)
            sums[1] = Double(held.count)
            (sums[2], sums[3]) = try relativeL2Parts(trainer, held)
        }
        try communicator.sumInPlace(&sums)
        guard sums[1] > 0 else { return nil }
        return (sums[0] / sums[1], sums[3] > 0 ? (sums[2] / sums[3]).squareRoot() : 0)
    }

    /// ‖prediction − truth‖² and ‖truth‖² over (at most 500 of) the held-out samples, in the fields' own units.
    static func relativeL2Parts(_ trainer: Trainer, _ samples: [TrainingSample]) throws -> (Double, Double) {
        let stride = max(1, samples.count / 500)
        var error = 0.0
        var norm = 0.0
        for sample in Swift.stride(from: 0, to: samples.count, by: stride).map({ samples[$0] }) {
            let prediction = try trainer.predict(input: sample.input)
            for (predicted, truth) in zip(prediction, sample.output) {
                error += Double(predicted - truth) * Double(predicted - truth)
                norm += Double(truth) * Double(truth)
            }
        }
        return (error, norm)
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
