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
