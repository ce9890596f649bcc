/// Everything that fixes a trainer: the network, the optimiser, the largest batch, the seed and the normalisation
/// warm-up.
public struct TrainerConfiguration: Sendable, Hashable, Codable {
    /// The network.
    public var architecture: MLPArchitecture
    /// The optimiser and its schedule.
    public var optimizer: OptimizerConfiguration
    /// The largest batch a step takes (per rank); the workspace is allocated for it once.
    public var maxBatchSize: Int
    /// The seed of the initial weights.
    public var seed: UInt64
    /// Samples (all ranks together) whose statistics set the normalisation before it freezes; 0 means identity.
    public var normalizationWarmupSamples: Int
    /// The normalisation fixed before training (inputs from the plan, outputs from declared ranges or a warm-up);
    /// nil for the older rule of ``normalizationWarmupSamples``.
    public var normalization: NormalizationRecipe?

    /// Creates a configuration.
    public init(
        architecture: MLPArchitecture, optimizer: OptimizerConfiguration = OptimizerConfiguration(),
        maxBatchSize: Int, seed: UInt64, normalizationWarmupSamples: Int = 1000,
        normalization: NormalizationRecipe? = nil
    ) {
        self.normalization = normalization
        self.architecture = architecture
        self.optimizer = optimizer
        self.maxBatchSize = maxBatchSize
        self.seed = seed
        self.normalizationWarmupSamples = normalizationWarmupSamples
    }

    /// Throws when the configuration cannot be trained.
    public func validate() throws {
        try architecture.validate()
        guard maxBatchSize > 0 else {
            throw TrainingError.invalidConfiguration("the batch size must be positive, got \(maxBatchSize)")
        }
        if let normalization {
            guard normalization.inputMean.count == architecture.inputCount,
                normalization.inputStd.count == architecture.inputCount,
                normalization.outputCount == architecture.outputCount
            else {
                throw TrainingError.invalidConfiguration(
                    "the normalisation is for \(normalization.inputMean.count) inputs and "
                        + "\(normalization.outputCount) outputs, the network has \(architecture.inputCount) and "
                        + "\(architecture.outputCount)")
            }
        }
        guard optimizer.learningRate > 0, optimizer.learningRate.isFinite else {
            throw TrainingError.invalidConfiguration("the learning rate must be positive")
        }
    }
}
