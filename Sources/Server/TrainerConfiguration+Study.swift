import StudySpec
import Training

extension TrainerConfiguration {
    /// The configuration a study's `training` section asks for, for `parameterCount` study parameters (the time step
    /// is one more input) and `outputCount` field values per time step.
    public init(
        training: TrainingSpec, parameterCount: Int, outputCount: Int, seed: UInt64,
        normalizationWarmupSamples: Int = 1000
    ) {
        let activation: Activation =
            switch training.model.activation {
            case .relu: .relu
            case .tanh: .tanh
            case .gelu: .gelu
            }
        let spec = training.optimizer
        let optimizer = OptimizerConfiguration(
            method: spec.kind == .sgd ? .sgd : .adam, learningRate: Float(spec.learningRate),
            weightDecay: Float(spec.weightDecay), momentum: Float(spec.momentum),
            decayEverySteps: spec.decayEveryBatches, decayFactor: Float(spec.decayFactor))
        self.init(
            architecture: MLPArchitecture(
                inputCount: parameterCount + 1, hidden: training.model.hidden, outputCount: outputCount,
                activation: activation),
            optimizer: optimizer, maxBatchSize: training.batchSize, seed: seed,
            normalizationWarmupSamples: normalizationWarmupSamples)
    }
}
