/// Which sequence or design a `UnitSampler` draws from.
public enum SamplerKind: Sendable, Hashable, Codable {
    /// Independent uniform points from a portable counter-based generator (see `MonteCarlo`).
    case monteCarlo
    /// A Latin hypercube design per draw.
    case latinHypercube(optimization: LatinHypercubeOptimization)
    /// The Halton sequence on the first `dimension` primes, optionally with random digit permutations.
    case halton(scrambled: Bool)
    /// The Sobol sequence with Joe–Kuo direction numbers.
    case sobol(scramble: SobolScramble)
    /// A full-factorial grid, one level count per dimension; the last dimension varies fastest.
    case grid(levels: [Int])
}
