import Buffers
import Foundation
import StudySpec
import Training

/// What an offline training did.
public struct OfflineTrainingReport: Sendable {
    /// Simulations whose data were complete, and those without.
    public var simulations: Int
    /// Simulations of the plan without complete data.
    public var missing: [Int]
    /// Training samples, and held-out ones.
    public var trainingSamples: Int
    /// Held-out samples.
    public var validationSamples: Int
    /// Bytes of the data files read (what the simulations wrote).
    public var bytes: Int
    /// Seconds reading the data, and training.
    public var loadSeconds: Double
    /// Seconds training (with the validations).
    public var trainSeconds: Double
    /// Batches trained.
    public var batches: Int
    /// Epochs trained.
    public var epochs: Int
}

extension TrainingServer {
    /// The epochs of offline training the study asks for (`training.epochs`).
    public var plannedEpochs: Int { plan.server.training.epochs ?? TrainingSpec.defaultEpochs }

    /// Offline training (docs/offline.md): reads what the simulations of an offline study wrote under
    /// `<study dir>/data`, then trains the study's network for `epochs` shuffled passes over the training samples
    /// with the same trainer, normalisation (outputs from statistics of every training sample), validations,
    /// metrics, learning-rate schedule (its progress is the share of the batches trained) and model file as online.
    /// Starts afresh: an earlier `metrics.jsonl` is replaced.
    public func trainOffline(epochs: Int) throws -> OfflineTrainingReport {
        let clock = ContinuousClock()
        let started = clock.now
        let parameterSets = ParameterSets(plan: plan, directory: studyDirectory, log: log)
        let data = try OfflineData(plan: plan, studyDirectory: studyDirectory, parameterSets: parameterSets)
        guard !data.training.isEmpty else {
            throw ServerError.plan(
                "no complete training data in \(OfflineData.directory(of: studyDirectory).path) "
                    + "(\(data.missing.count) simulation(s) without complete.json); run the offline study with "
                    + "`melissa launch` first")
        }
        let loaded = clock.now
        let server = plan.server
        let outputCount = server.fields.reduce(0) { $0 + ($1.size ?? 0) }
        // The sink only holds the held-out samples and the statistics; its buffer is never used.
        let sink = StudySink(
            buffer: TrainingBuffer(policy: .fifo, capacity: 1, watermark: 1, seed: server.seed),
            parameterSets: parameterSets, validationIDs: Set(data.validation.keys), outputCount: outputCount)
        sink.loadOffline(validation: data.validation, outputs: data.outputStatistics)
        let configuration = TrainerConfiguration(plan: plan, parameterInputs: Array(parameterSets.planInputs.values))
        log(try applyThreads(architecture: configuration.architecture))
        let trainer = try freshTrainer(configuration, communicator: LocalCommunicator(), log: log)
        trainer.warmupStatistics = { data.outputStatistics }
        try? FileManager.default.removeItem(at: metricsURL)
        let steps = OfflineSteps(
            samples: data.training, batchSize: server.training.batchSize, epochs: epochs, seed: server.seed)
        let total = Double(max(steps.totalBatches, 1))
        let communicator = LocalCommunicator()
        var loop = TrainingLoop(
            trainer: trainer, sink: sink, steps: steps, communicator: communicator, checkpoints: nil,
            batchSize: server.training.batchSize, schedule: plan.loopSchedule,
            progress: { [steps] in Double(steps.batchesServed) / total }, updateStatus: { _ in },
            recorder: try MetricsRecorder(url: metricsURL, elapsedBefore: 0, log: log), batches: 0)
        loop.excerptURL = ReportExcerpt.url(inStudyDirectory: studyDirectory)
        loop.scoredSimulations = trainingSimulationIDs
        let stopped = try loop.run()
        _ = try finish(&loop, stopped: stopped, log: log)
        let end = clock.now
        func seconds(_ duration: Duration) -> Double {
            Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
        }
        return OfflineTrainingReport(
            simulations: data.complete, missing: data.missing, trainingSamples: data.training.count,
            validationSamples: data.validation.values.reduce(0) { $0 + $1.count }, bytes: data.bytes,
            loadSeconds: seconds(loaded - started), trainSeconds: seconds(end - loaded), batches: loop.batches,
            epochs: steps.epochsDone)
    }
}
