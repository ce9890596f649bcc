/// The `sampler` section: how parameter sets are drawn.
public struct SamplerSpec: Sendable, Hashable, Codable {
    /// The sampling method.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// Independent uniform points from a portable generator.
        case monteCarlo = "monte-carlo"
        /// A Latin hypercube design.
        case latinHypercube = "latin-hypercube"
        /// The Halton sequence.
        case halton
        /// The Sobol sequence (Joe–Kuo direction numbers).
        case sobol
        /// A full-factorial grid.
        case grid
        /// Points listed in a CSV file.
        case file
        /// An initial space-filling design, then sets chosen during the study where the surrogate is worst
        /// (docs/active-sampling.md).
        case adaptive
    }

    /// How a Sobol or Halton sequence is scrambled.
    public enum Scramble: String, Sendable, Hashable, Codable, CaseIterable {
        /// Not scrambled (the plain sequence, equal to scipy.stats.qmc with `scramble=False`).
        case none
        /// Linear matrix scramble plus a digital shift (Sobol), random digit permutations (Halton).
        case linearMatrix = "linear-matrix"
        /// Owen's nested uniform scramble (Sobol only).
        case owen
    }

    /// How a Latin hypercube design is optimised.
    public enum Optimization: String, Sendable, Hashable, Codable, CaseIterable {
        /// A plain random Latin hypercube.
        case none
        /// The design with the largest minimum distance between points among several candidates.
        case maximin
    }

    /// The method.
    public var kind: Kind
    /// How many simulations to draw (for `grid`, the product of the levels; for `file`, the rows of the file).
    public var count: Int
    /// Scrambling of Sobol and Halton (`scramble: true` means `linear-matrix`). Default: `linear-matrix` for Sobol and
    /// Halton.
    public var scramble: Scramble
    /// Optimisation of a Latin hypercube. Default: `none`.
    public var optimization: Optimization
    /// Levels per parameter for `grid`, in parameter order (a `choice` parameter defaults to its number of choices).
    public var levels: [Int]
    /// The CSV file for `file`, relative to the study file's directory unless absolute.
    public var file: String?
    /// The seed of this sampler; default: the study's seed.
    public var seed: UInt64?
    /// The rules of an `adaptive` sampler; nil for the others.
    public var adaptive: AdaptiveSamplerSpec?

    /// Creates the section.
    public init(
        kind: Kind,
        count: Int,
        scramble: Scramble = .linearMatrix,
        optimization: Optimization = .none,
        levels: [Int] = [],
        file: String? = nil,
        seed: UInt64? = nil
    ) {
        self.kind = kind
        self.count = count
        self.scramble = scramble
        self.optimization = optimization
        self.levels = levels
        self.file = file
        self.seed = seed
    }
}

/// `sampler: {kind: adaptive, …}`: the initial design and how the next parameter sets are chosen while the study
/// runs (docs/active-sampling.md).
public struct AdaptiveSamplerSpec: Sendable, Hashable, Codable {
    /// How the sets after the initial design are chosen.
    public enum Strategy: String, Sendable, Hashable, Codable, CaseIterable {
        /// Gaussian mutations of the sets with the highest training loss, mixed with space-filling draws (INRIA
        /// Melissa's "Breed").
        case breed
    }

    /// Which per-simulation score ranks the parents.
    public enum Signal: String, Sendable, Hashable, Codable, CaseIterable {
        /// The mean over the simulation's samples of their latest training loss (the default).
        case loss
        /// The loss's decrease since the samples were first read (INRIA Melissa's `delta_loss`).
        case delta
    }

    /// The initial design's sampler (`sobol`, `halton`, `latin-hypercube` or `monte-carlo`).
    public var initialKind: SamplerSpec.Kind
    /// Simulations of the initial design.
    public var initialCount: Int
    /// The initial design's scrambling (Sobol, Halton).
    public var initialScramble: SamplerSpec.Scramble
    /// Parameter sets chosen at a time, once as many simulations finished. Default: 16.
    public var batch: Int
    /// The strategy. Default: breed.
    public var strategy: Strategy
    /// The fraction of each batch drawn space-filling rather than bred, at the study's start and at its end
    /// (linear in between). Default: [0.85, 0.25].
    public var exploration: [Double]
    /// The width of a child's Gaussian step, as a fraction of each parameter's range, at the start and at the end.
    /// Default: [0.1, 0.02].
    public var mutation: [Double]
    /// The score that ranks parents. Default: loss.
    public var signal: Signal

    /// Creates the rules.
    public init(
        initialKind: SamplerSpec.Kind = .sobol, initialCount: Int,
        initialScramble: SamplerSpec.Scramble = .linearMatrix,
        batch: Int = 16, strategy: Strategy = .breed, exploration: [Double] = [0.85, 0.25],
        mutation: [Double] = [0.1, 0.02], signal: Signal = .loss
    ) {
        self.initialKind = initialKind
        self.initialCount = initialCount
        self.initialScramble = initialScramble
        self.batch = batch
        self.strategy = strategy
        self.exploration = exploration
        self.mutation = mutation
        self.signal = signal
    }
}
