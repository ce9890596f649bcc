import PlanModel
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

extension TrainerConfiguration {
    /// The configuration of a study's trainer: its `training` section, with the normalisation its plan fixes
    /// (``NormalizationRecipe/init(plan:parameterInputs:)``, `parameterInputs` the training simulations' inputs).
    public init(plan: Plan, parameterInputs: [[Float]]) {
        let server = plan.server
        self.init(
            training: server.training, parameterCount: plan.parameters.count,
            outputCount: server.fields.reduce(0) { $0 + ($1.size ?? 0) }, seed: server.seed)
        normalization = NormalizationRecipe(plan: plan, parameterInputs: parameterInputs)
    }
}

extension Plan {
    /// When the training loop validates, checkpoints and decays the learning rate.
    var loopSchedule: LoopSchedule {
        let training = server.training
        return LoopSchedule(
            validationEvery: training.validation.everyBatches,
            subsample: training.validation.subsample ?? ValidationSpec.defaultSubsample,
            timeSteps: simulation.timeSteps, expectedHeld: validationCount * simulation.timeSteps,
            checkpointEvery: training.checkpointEveryBatches,
            checkpointSeconds: training.checkpointEverySeconds ?? TrainingSpec.defaultCheckpointSeconds,
            decayAt: training.optimizer.effectiveDecayAt, decayFactor: training.optimizer.decayFactor)
    }
}
