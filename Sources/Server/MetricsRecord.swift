import Foundation

/// One line of `<study dir>/metrics.jsonl`: the trainer's and the buffer's state after a batch.
public struct MetricsRecord: Sendable, Codable, Hashable {
    /// Batches trained so far.
    public var batch: Int
    /// Seconds since the server first started (across restarts).
    public var seconds: Double
    /// The mean training loss (normalised MSE) over the batches since the previous record.
    public var trainLoss: Double
    /// The validation loss (normalised MSE on the held-out simulations), when evaluated at this batch.
    public var validationLoss: Double?
    /// The relative L2 error of the predicted fields on the held-out simulations, when evaluated.
    public var relativeL2: Double?
    /// Samples trained per second since the previous record.
    public var samplesPerSecond: Double
    /// Samples received so far.
    public var received: Int
    /// Samples trained on so far, counting repeats (across restarts).
    public var trained: Int
    /// Samples held by the buffer.
    public var population: Int
    /// The learning rate of the last batch.
    public var learningRate: Double
    /// Seconds the trainer spent in its steps (staging the batch, forward, backward, the gradients' all-reduce,
    /// the update) since the previous record; the rest of the wall time it waited for data, validated or wrote
    /// checkpoints. Nil in files of servers older than it.
    public var stepSeconds: Double? = nil
    /// Training samples per second counting only the trainer's steps (no validation, checkpoint or wait).
    public var trainingSamplesPerSecond: Double? = nil
    /// The validation's other figures (``Training/ValidationMetrics``): in the field's units, per time step, and
    /// the mean-field baseline; when evaluated.
    public var validationRmse: Double? = nil
    /// The largest absolute error on the held-out samples evaluated.
    public var validationMaxError: Double? = nil
    /// The 99th percentile of the absolute error.
    public var validationP99Error: Double? = nil
    /// The relative L2 error of predicting the mean training field.
    public var baselineRelativeL2: Double? = nil
    /// The relative L2 error per time step.
    public var relativeL2ByStep: [Double?]? = nil
    /// Held-out samples evaluated (a fixed subsample between full evaluations).
    public var validationSamples: Int? = nil
    /// Whether the evaluation covered every held-out sample.
    public var validationFull: Bool? = nil
    /// Checkpoints written since the previous record: their bytes and the seconds they took.
    public var checkpointBytes: Int? = nil
    /// Seconds spent writing checkpoints since the previous record.
    public var checkpointSeconds: Double? = nil
    /// In the last record: the batch whose weights the exported model holds (the best validated one, or the last).
    public var exportedBatch: Int? = nil
    /// Checkpoints that could not be written since the server (this process) started; nil when none failed.
    public var checkpointFailures: Int? = nil
    /// The error of the latest checkpoint, when it failed (naming the file and the system's error; a record is
    /// appended at each failed checkpoint); nil once one is written again.
    public var lastCheckpointError: String? = nil
    /// Data chunks dropped so far because their time step was already a sample (all ranks); nil offline and in files
    /// of servers older than it.
    public var duplicates: Int? = nil
    /// Messages rejected so far, by reason (the `rejected` reasons of docs/protocol.md; those with a count only; all
    /// ranks); nil offline and in files of servers older than it.
    public var rejected: [String: Int]? = nil
}

extension MetricsRecord {
    /// Every record of a metrics file, in order (lines that do not decode, such as one being written, are skipped).
    public static func readAll(from url: URL) -> [MetricsRecord] {
        MetricsLog.read(url)
    }
}
