/// The `training` section: the surrogate, its optimiser and the training topology.
public struct TrainingSpec: Sendable, Hashable, Codable {
    /// Training processes (MPI ranks), each with its own buffer. Default: 1.
    public var ranks: Int
    /// BLAS threads per rank. Default: `auto`.
    public var threads: ThreadCount
    /// The network.
    public var model: ModelSpec
    /// Samples per batch per rank. Default: 10.
    public var batchSize: Int
    /// The optimiser.
    public var optimizer: OptimizerSpec
    /// Held-out simulations and how often they are evaluated.
    public var validation: ValidationSpec
    /// Batches between checkpoints; nil: every ``checkpointEverySeconds`` seconds instead (the default).
    public var checkpointEveryBatches: Int?
    /// Seconds of training between checkpoints when ``checkpointEveryBatches`` is nil; nil: 60.
    public var checkpointEverySeconds: Double?

    /// The default seconds between checkpoints.
    public static let defaultCheckpointSeconds = 60.0
    /// Offline training's shuffled passes over the stored samples (ignored online); nil: 10.
    public var epochs: Int?

    /// The default number of offline epochs.
    public static let defaultEpochs = 10

    /// How inputs and outputs are normalised; nil: the defaults of ``NormalizationSpec``.
    public var normalization: NormalizationSpec?

    /// The trainer; nil: ``TrainingBackend/native`` (and plans written before the key existed).
    public var backend: TrainingBackend?
    /// The PyTorch module, its hooks and device, when ``backend`` is ``TrainingBackend/pytorch``.
    public var pytorch: PyTorchSpec?
    /// The trainer that trains: ``backend``, native when absent.
    public var effectiveBackend: TrainingBackend { backend ?? .native }

    /// Creates the section.
    public init(
        ranks: Int = 1,
        threads: ThreadCount = .auto,
        model: ModelSpec = ModelSpec(),
        batchSize: Int = 10,
        optimizer: OptimizerSpec = OptimizerSpec(),
        validation: ValidationSpec = ValidationSpec(),
        checkpointEveryBatches: Int? = nil,
        normalization: NormalizationSpec? = nil,
        checkpointEverySeconds: Double? = nil
    ) {
        self.checkpointEverySeconds = checkpointEverySeconds
        self.normalization = normalization
        self.ranks = ranks
        self.threads = threads
        self.model = model
        self.batchSize = batchSize
        self.optimizer = optimizer
        self.validation = validation
        self.checkpointEveryBatches = checkpointEveryBatches
    }
}

/// The surrogate network: an MLP from (parameters, time step) to the fields.
public struct ModelSpec: Sendable, Hashable, Codable {
    /// An activation function.
    public enum Activation: String, Sendable, Hashable, Codable, CaseIterable {
        /// max(0, x).
        case relu
        /// tanh(x).
        case tanh
        /// Gaussian error linear unit.
        case gelu
    }

    /// The kind of network; only `mlp` for now.
    public var kind: String
    /// Widths of the hidden layers. Default: [256, 256].
    public var hidden: [Int]
    /// The activation of the hidden layers. Default: relu.
    public var activation: Activation

    /// Creates the model description.
    public init(kind: String = "mlp", hidden: [Int] = [256, 256], activation: Activation = .relu) {
        self.kind = kind
        self.hidden = hidden
        self.activation = activation
    }
}

/// The optimiser and its learning-rate schedule.
public struct OptimizerSpec: Sendable, Hashable, Codable {
    /// An optimisation method.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// Adam (decoupled weight decay when `weight_decay` > 0).
        case adam
        /// Stochastic gradient descent with momentum.
        case sgd
    }

    /// The method. Default: adam.
    public var kind: Kind
    /// The initial learning rate. Default: 1e-3.
    public var learningRate: Double
    /// Weight decay. Default: 0.
    public var weightDecay: Double
    /// Momentum (SGD only). Default: 0.9.
    public var momentum: Double
    /// Batches between learning-rate decays; 0 means never. Default: 0.
    public var decayEveryBatches: Int
    /// The factor applied at each decay. Default: 0.5.
    public var decayFactor: Double
    /// The points of the study's progress (fractions in (0, 1]: of the training samples received online, of the
    /// batches offline) at which the learning rate is multiplied by `decayFactor`, when `decayEveryBatches` is 0.
    /// Nil: ``OptimizerSpec/defaultDecayAt``; empty: a constant rate.
    public var decayAt: [Double]?

    /// The default step decay: halved at half, three quarters and nine tenths of the study.
    public static let defaultDecayAt = [0.5, 0.75, 0.9]

    /// The decay points in force.
    public var effectiveDecayAt: [Double] { decayEveryBatches > 0 ? [] : (decayAt ?? Self.defaultDecayAt) }

    /// Creates the optimiser description.
    public init(
        kind: Kind = .adam,
        learningRate: Double = 1e-3,
        weightDecay: Double = 0,
        momentum: Double = 0.9,
        decayEveryBatches: Int = 0,
        decayFactor: Double = 0.5,
        decayAt: [Double]? = nil
    ) {
        self.decayAt = decayAt
        self.kind = kind
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.momentum = momentum
        self.decayEveryBatches = decayEveryBatches
        self.decayFactor = decayFactor
    }
}

/// Held-out simulations for validation.
public struct ValidationSpec: Sendable, Hashable, Codable {
    /// Extra simulations run and streamed like the others but never trained on. Default: 0.
    public var simulations: Int
    /// Batches between evaluations. Default: 100.
    public var everyBatches: Int
    /// The seed of the validation points. Default: the study's seed + 1.
    public var seed: UInt64?
    /// A CSV file of validation parameter sets (replaces `simulations` drawn at random).
    public var file: String?
    /// Held-out samples evaluated at each validation but every tenth and the last, which evaluate all of them; nil:
    /// 250.
    public var subsample: Int?

    /// The default subsample.
    public static let defaultSubsample = 250

    /// Whether a surrogate no better than predicting the mean training field fails the study (`melissa launch`
    /// exits 1); nil: true. False suits a smoke run of the pipeline, whose few simulations cannot teach anything.
    public var requireSkill: Bool?

    /// Creates the validation description.
    public init(simulations: Int = 0, everyBatches: Int = 100, seed: UInt64? = nil, file: String? = nil) {
        self.simulations = simulations
        self.everyBatches = everyBatches
        self.seed = seed
        self.file = file
    }
}

/// How the network's inputs and outputs are normalised.
///
/// Inputs always come from what the plan knows: each parameter's distribution (its exact mean and standard
/// deviation) and the time steps (uniform over 0 … steps − 1). A field with a declared `range` is scaled from it.
/// The other fields are scaled from statistics of the training samples received before training starts: reads wait
/// until the buffer holds `warmupSamples` samples from at least `warmupSimulations` distinct simulations (or until
/// reception is over, or the buffer is full), so that the order of the stream cannot freeze the scaling on the first
/// simulations alone.
public struct NormalizationSpec: Sendable, Hashable, Codable {
    /// A way of scaling the outputs.
    public enum Outputs: String, Sendable, Hashable, Codable, CaseIterable {
        /// One mean and standard deviation per field.
        case perField = "per_field"
        /// One mean and standard deviation per output value, the deviation at least 1 % of the field's (the
        /// default: 5–7 % lower relative L2 than per field on the heat study, docs/experiments.md).
        case perElement = "per_element"
    }

    /// How fields are scaled. Default: per element.
    public var outputs: Outputs
    /// Training samples in the warm-up; nil: the buffer's watermark.
    public var warmupSamples: Int?
    /// Distinct simulations the warm-up spans; nil: ``NormalizationSpec/defaultWarmupSimulations`` (or all the
    /// training simulations, when fewer).
    public var warmupSimulations: Int?

    /// The default number of distinct simulations in the warm-up.
    public static let defaultWarmupSimulations = 8

    /// Creates the section.
    public init(outputs: Outputs = .perElement, warmupSamples: Int? = nil, warmupSimulations: Int? = nil) {
        self.outputs = outputs
        self.warmupSamples = warmupSamples
        self.warmupSimulations = warmupSimulations
    }
}
