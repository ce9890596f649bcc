import Foundation
import Ingest
import Training

/// One rank's training loop, the same for 1 and N ranks: each turn gets a batch (``StepCoordinator``), trains one
/// step with the other ranks (gradients summed), records metrics every 10 batches and validates every
/// `validation.every_batches`, and checkpoints every `checkpoint_every_batches`, until the buffers are drained or a
/// stop was requested.
struct TrainingLoop<Communicator: ServerCommunicator> {
    /// The trainer, identical on every rank.
    let trainer: Trainer
    /// What this rank received: the buffer's samples, the received steps, the held-out samples.
    let sink: StudySink
    /// How each turn's batch comes and when the loop ends.
    let steps: any StepCoordinator
    /// The ranks.
    let communicator: Communicator
    /// Where checkpoints go.
    let checkpoints: CheckpointStore
    /// Samples a batch reads from this rank's buffer.
    let batchSize: Int
    /// Batches between validations.
    let validationEvery: Int
    /// Batches between checkpoints.
    let checkpointEvery: Int
    /// Where rank 0 writes the report's excerpt of the held-out samples at each validation; nil on other ranks.
    var excerptURL: URL?
    /// Changes the status a launcher's ping reads.
    let updateStatus: ((inout TrainingStatus) -> Void) -> Void
    /// The metrics.
    var recorder: MetricsRecorder
    /// Batches trained so far (across restarts).
    var batches: Int
    private var batch: [TrainingSample] = []

    /// A loop that has trained `batches` batches already.
    init(
        trainer: Trainer, sink: StudySink, steps: any StepCoordinator, communicator: Communicator,
        checkpoints: CheckpointStore, training: (batchSize: Int, validationEvery: Int, checkpointEvery: Int),
        updateStatus: @escaping ((inout TrainingStatus) -> Void) -> Void, recorder: MetricsRecorder, batches: Int
    ) {
        self.trainer = trainer
        self.sink = sink
        self.steps = steps
        self.communicator = communicator
        self.checkpoints = checkpoints
        (batchSize, validationEvery, checkpointEvery) = training
        self.updateStatus = updateStatus
        self.recorder = recorder
        self.batches = batches
    }

    /// Trains until the buffers are drained (false) or a stop was requested (true).
    mutating func run() throws -> Bool {
        var stopped = false
        training: while true {
            switch try steps.next(into: &batch) {
            case .train: break
            case .idle: continue
            case .drained: break training
            case .stopped:
                stopped = true
                break training
            }
            let started = recorder.now
            let staged = batch.isEmpty ? 0 : try trainer.stage(batch)
            guard let result = try trainer.step(staged: staged, communicator: communicator) else { break }
            batches += 1
            recorder.add(result, seconds: recorder.seconds(since: started))
            let validating = batches % validationEvery == 0
            if validating || batches % 10 == 0 { try record(validate: validating) }
            if batches % checkpointEvery == 0 { try checkpoint() }
            if steps.stopsAfterStep {
                stopped = true
                break
            }
        }
        return try steps.finish(stopped: stopped)
    }

    /// Appends a metrics record, validating first when `validate` (collective).
    mutating func record(validate: Bool) throws {
        let validation = validate ? try MetricsRecorder.validate(trainer, sink.validationSamples, communicator) : nil
        try recorder.record(
            batches: batches, trainer: trainer, validation: validation, populations: steps.populations,
            received: steps.received, updateStatus: updateStatus)
        if validation != nil, let excerptURL {
            recorder.writeExcerpt(
                of: sink.validationBySimulation, readCounts: sink.readCounts(), batches: batches, to: excerptURL)
        }
    }

    /// Writes this rank's checkpoint (collective).
    func checkpoint() throws {
        let snapshot = sink.snapshot()
        let contents = ServerCheckpoint(
            trainer: trainer.state, buffer: snapshot.buffer, received: snapshot.received,
            validation: snapshot.validation, batches: batches, elapsedSeconds: recorder.elapsed(),
            rank: communicator.rank, ranks: communicator.size)
        try checkpoints.write(contents, communicator)
    }
}
