import Foundation
import Ingest
import Training

/// When a training loop validates, checkpoints and decays its learning rate.
struct LoopSchedule {
    /// Batches between validations.
    var validationEvery: Int
    /// Held-out samples a validation evaluates between full ones (every tenth validation and the last are full).
    var subsample: Int
    /// Time steps of a simulation (the per-step figures).
    var timeSteps: Int
    /// Held-out samples expected once every validation simulation has streamed (all ranks).
    var expectedHeld: Int
    /// Batches between checkpoints, or nil for every `checkpointSeconds`.
    var checkpointEvery: Int?
    /// Seconds between checkpoints when `checkpointEvery` is nil.
    var checkpointSeconds: Double
    /// The learning rate is multiplied by `decayFactor` at each of these points of `progress`.
    var decayAt: [Double]
    /// The factor of each decay.
    var decayFactor: Double
}

/// One rank's training loop, the same for 1 and N ranks and for online and offline training: each turn gets a batch
/// (``StepCoordinator``), trains one step with the other ranks (gradients summed), records metrics every 10 batches
/// and validates every `validation.every_batches`, checkpoints on schedule, and keeps the weights of the best
/// validation, until the buffers are drained or a stop was requested.
struct TrainingLoop<Communicator: ServerCommunicator> {
    /// The trainer, identical on every rank.
    let trainer: any SurrogateTrainer
    /// What this rank received: the buffer's samples, the received steps, the held-out samples.
    let sink: StudySink
    /// How each turn's batch comes and when the loop ends.
    let steps: any StepCoordinator
    /// The ranks.
    let communicator: Communicator
    /// Where checkpoints go; nil: none (offline training).
    let checkpoints: CheckpointStore?
    /// Samples a batch reads from this rank's buffer.
    let batchSize: Int
    /// Validations, checkpoints, the learning-rate schedule.
    let schedule: LoopSchedule
    /// The study's progress in [0, 1] (the same on every rank), which the learning-rate schedule follows.
    let progress: () -> Double
    /// Where rank 0 writes the report's excerpt of the held-out samples at each validation; nil on other ranks.
    var excerptURL: URL?
    /// Where rank 0 says a failed checkpoint (the server's standard error).
    var warn: (String) -> Void = { _ in }
    /// The batch of the last checkpoint written, or restored from; nil while there is none.
    var lastWrittenBatch: Int?
    /// Changes the status a launcher's ping reads.
    let updateStatus: ((inout TrainingStatus) -> Void) -> Void
    /// The metrics.
    var recorder: MetricsRecorder
    /// Batches trained so far (across restarts).
    var batches: Int
    /// What this rank's training read: the latest loss of each sample, by simulation (restored from a checkpoint).
    var scores: SimulationLossTable
    /// The study's training simulations, in id order: the slots in which the ranks add up their scores (the same on
    /// every rank). Empty: the simulations of this rank's table (one rank only).
    var scoredSimulations: [UInt32] = []
    /// The per-simulation scores of every rank as they last brought them together (``publishScores()``).
    private(set) var agreedScores: [TrainingScore] = []
    private var batch: [TrainingSample] = []
    private var validations = 0
    private var recordedBatch: Int?
    private var lastCheckpoint: Double
    /// The best validation on the complete, fixed subsample: its relative L2 and batch (the trainer keeps its weights
    /// under ``bestWeights``).
    private(set) var best: (relativeL2: Double, batch: Int)?
    /// The name under which the trainer keeps the best validation's weights.
    static var bestWeights: String { "best" }
    /// The name under which the trainer keeps the last weights while the best are validated.
    static var lastWeights: String { "last" }

    /// A loop that has trained `batches` batches already.
    init(
        trainer: any SurrogateTrainer, sink: StudySink, steps: any StepCoordinator, communicator: Communicator,
        checkpoints: CheckpointStore?, batchSize: Int, schedule: LoopSchedule, progress: @escaping () -> Double,
        updateStatus: @escaping ((inout TrainingStatus) -> Void) -> Void, recorder: MetricsRecorder, batches: Int
    ) {
        self.trainer = trainer
        self.sink = sink
        self.steps = steps
        self.communicator = communicator
        self.checkpoints = checkpoints
        self.batchSize = batchSize
        self.schedule = schedule
        self.progress = progress
        self.updateStatus = updateStatus
        self.recorder = recorder
        self.batches = batches
        scores = SimulationLossTable(timeSteps: schedule.timeSteps)
        lastCheckpoint = recorder.elapsed()
    }

    /// Trains until the buffers are drained (false) or a stop was requested (true).
    mutating func run() throws -> Bool {
        var stopped = false
        // A restored table is in the status before the first batch.
        try publishScores()
        training: while true {
            let outcome = try steps.next(into: &batch)
            if steps.scoresAreDue() { try publishScores() }
            switch outcome {
            case .train: break
            case .idle: continue
            case .drained: break training
            case .stopped:
                stopped = true
                break training
            }
            let started = recorder.now
            let staged = batch.isEmpty ? 0 : try trainer.stage(batch)
            trainer.learningRateScale = learningRateScale()
            guard let result = try trainer.step(staged: staged, communicator: communicator) else { break }
            batches += 1
            if staged > 0 {
                // Each sample's loss, from the step's own output error, goes to its simulation.
                let read = batch
                trainer.withSampleLosses { scores.record(read, losses: $0) }
            }
            recorder.add(result, seconds: recorder.seconds(since: started))
            let validating = batches % schedule.validationEvery == 0
            if validating || batches % 10 == 0 { try record(validate: validating) }
            if try checkpointDue() { try checkpoint() }
            if steps.stopsAfterStep {
                stopped = true
                break
            }
        }
        return try steps.finish(stopped: stopped)
    }

    /// The learning rate's factor at the study's current progress: `decayFactor` to the number of decay points
    /// passed.
    func learningRateScale() -> Float {
        let now = progress()
        let passed = schedule.decayAt.count { $0 <= now }
        return Float(Foundation.pow(schedule.decayFactor, Double(passed)))
    }

    /// Whether a checkpoint is due after this batch (collective when time decides it: rank 0's clock, every 10
    /// batches).
    private func checkpointDue() throws -> Bool {
        guard checkpoints != nil else { return false }
        if let every = schedule.checkpointEvery { return batches % every == 0 }
        guard batches % 10 == 0 else { return false }
        var due: [Int32] = [
            communicator.rank == 0 && recorder.elapsed() - lastCheckpoint >= schedule.checkpointSeconds ? 1 : 0
        ]
        try communicator.maximumInPlace(&due)
        return due[0] == 1
    }

    /// Brings every rank's per-simulation scores together (collective: a maximum of each simulation's parameter set,
    /// then one sum of the sums and counts of the samples of that set, never of means: a simulation's samples are
    /// split across ranks) into ``agreedScores``, which rank 0 puts in the status.
    mutating func publishScores() throws {
        let ids = scoredSimulations.isEmpty ? scores.simulationIDs.sorted() : scoredSimulations
        let width = 4
        var sets = ids.map { id in scores.entry(for: id).map { Int32(clamping: $0.parameterSet) } ?? -1 }
        var sums = [Double](repeating: 0, count: ids.count * width)
        if communicator.size > 1 { try communicator.maximumInPlace(&sets) }
        for (slot, id) in ids.enumerated() {
            guard let entry = scores.entry(for: id), Int32(clamping: entry.parameterSet) == sets[slot] else { continue }
            sums[slot * width] = entry.latestSum
            sums[slot * width + 1] = entry.firstSum
            sums[slot * width + 2] = Double(entry.reads)
            sums[slot * width + 3] = Double(entry.samples)
        }
        if communicator.size > 1 { try communicator.sumInPlace(&sums) }
        var agreed: [TrainingScore] = []
        for (slot, id) in ids.enumerated() where sums[slot * width + 3] > 0 {
            let samples = sums[slot * width + 3]
            agreed.append(
                TrainingScore(
                    id: Int(id), loss: sums[slot * width] / samples, firstLoss: sums[slot * width + 1] / samples,
                    reads: Int(sums[slot * width + 2]), samples: Int(samples)))
        }
        agreedScores = agreed
        if communicator.rank == 0 { updateStatus { $0.scores = agreed } }
    }

    /// Appends a metrics record, validating first when `validate` (collective): on a fixed subsample of the held-out
    /// samples, on all of them every tenth time and when `full`.
    mutating func record(validate: Bool, full: Bool = false) throws {
        var validation: ValidationMetrics?
        var evaluatedAll = false
        if validate {
            validations += 1
            let held = sink.validationSamples
            let statistics = try communicator.merge(sink.outputStatistics)
            let baseline = statistics.count > 0 ? statistics.mean.map { Float($0) } : nil
            var heldTotal = [Double(held.count)]
            try communicator.sumInPlace(&heldTotal)
            evaluatedAll = full || validations % 10 == 0 || Int(heldTotal[0]) <= schedule.subsample
            validation = try MetricsRecorder.validate(
                trainer, held, subsample: evaluatedAll ? nil : schedule.subsample, baseline: baseline,
                timeSteps: schedule.timeSteps, communicator)
            // The best weights, judged on the same samples each time: the fixed subsample of a complete held-out set.
            let onSubsample = !evaluatedAll || Int(heldTotal[0]) <= schedule.subsample
            if let validation, onSubsample, Int(heldTotal[0]) >= schedule.expectedHeld,
                validation.relativeL2 < best?.relativeL2 ?? .infinity
            {
                try trainer.keepWeights(as: Self.bestWeights)
                best = (validation.relativeL2, batches)
            }
        }
        try recorder.record(
            batches: batches, trainer: trainer, validation: validation, full: evaluatedAll,
            populations: steps.populations, received: steps.received, ingest: steps.ingestStatistics,
            updateStatus: updateStatus)
        recordedBatch = batches
        if validation != nil, let excerptURL {
            recorder.writeExcerpt(
                of: sink.validationBySimulation, readCounts: sink.readCounts(), batches: batches, to: excerptURL)
        }
    }

    /// Writes this rank's checkpoint (collective). One that some rank cannot write (a directory in its file's place,
    /// a full disk) fails on every rank and does not stop training: rank 0 says it through `warn`, the metrics and
    /// the status count it, every rank keeps the generations it had, and the next due checkpoint tries again.
    /// Returns whether it was written.
    @discardableResult
    mutating func checkpoint() throws -> Bool {
        guard let checkpoints else { return false }
        let started = recorder.now
        let snapshot = sink.snapshot()
        let trainerState = try trainer.checkpointState()
        var contents = ServerCheckpoint(
            trainer: trainerState.state, buffer: snapshot.buffer, received: snapshot.received,
            validation: snapshot.validation, batches: batches, elapsedSeconds: recorder.elapsed(),
            rank: communicator.rank, ranks: communicator.size, scores: scores.entries)
        contents.backendState = trainerState.backend
        let outcome = try checkpoints.write(contents, communicator)
        lastCheckpoint = recorder.elapsed()
        switch outcome {
        case .written(let bytes):
            recorder.addCheckpoint(bytes: bytes, seconds: recorder.seconds(since: started))
            lastWrittenBatch = batches
            updateStatus { $0.lastCheckpointError = nil }
            return true
        case .failed(let reason):
            recorder.addCheckpointFailure(reason)
            let failures = recorder.checkpointFailures
            // A record at the failure, unless this batch has one (the same on every rank: the outcome is agreed).
            if recordedBatch == batches {
                updateStatus {
                    $0.checkpointFailures = failures
                    $0.lastCheckpointError = reason
                }
            } else {
                try record(validate: false)
            }
            if communicator.rank == 0 {
                let last =
                    lastWrittenBatch.map { "the last checkpoint written is of batch \($0)" } ?? "no checkpoint yet"
                warn(
                    "checkpoint at batch \(batches) failed: \(reason). Training goes on (\(last)); the next "
                        + "checkpoint tries again (\(failures) failed so far)")
            }
            return false
        }
    }

    /// At the end of training: the full validation of the last weights and, when a better validation was seen
    /// earlier, of those; the trainer is left with the better of the two (collective). Returns the batch whose
    /// weights the trainer now holds.
    mutating func chooseExportedWeights() throws -> Int {
        try record(validate: true, full: true)
        guard let best, best.batch != batches else { return batches }
        try trainer.keepWeights(as: Self.lastWeights)
        let lastError = recorder.lastRelativeL2
        try trainer.useWeights(Self.bestWeights)
        let held = sink.validationSamples
        let statistics = try communicator.merge(sink.outputStatistics)
        let baseline = statistics.count > 0 ? statistics.mean.map { Float($0) } : nil
        let bestMetrics = try MetricsRecorder.validate(
            trainer, held, subsample: nil, baseline: baseline, timeSteps: schedule.timeSteps, communicator)
        if let bestError = bestMetrics?.relativeL2, let lastError, bestError < lastError {
            recorder.exportedBatch = best.batch
            try recorder.record(
                batches: batches, trainer: trainer, validation: bestMetrics, full: true,
                populations: steps.populations, received: steps.received, ingest: steps.ingestStatistics,
                updateStatus: updateStatus)
            return best.batch
        }
        try trainer.useWeights(Self.lastWeights)
        return batches
    }
}
