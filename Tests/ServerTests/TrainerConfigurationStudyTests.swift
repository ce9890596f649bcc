import Server
import StudySpec
import Testing
import Training

@Suite struct TrainerConfigurationStudyTests {
    @Test func aStudyTrainingSectionBecomesAConfiguration() {
        let spec = TrainingSpec(
            threads: 2, model: ModelSpec(hidden: [64, 32], activation: .gelu), batchSize: 20,
            optimizer: OptimizerSpec(
                kind: .sgd, learningRate: 0.01, weightDecay: 1e-4, momentum: 0.8,
                decayEveryBatches: 100, decayFactor: 0.1))
        let configuration = TrainerConfiguration(training: spec, parameterCount: 5, outputCount: 10_000, seed: 1)
        #expect(configuration.architecture.widths == [6, 64, 32, 10_000])
        #expect(configuration.architecture.activation == .gelu)
        #expect(configuration.maxBatchSize == 20)
        #expect(configuration.optimizer.method == .sgd)
        #expect(configuration.optimizer.momentum == 0.8)
        #expect(configuration.optimizer.decayEverySteps == 100)
    }
}
