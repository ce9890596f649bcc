/// How Sobol points are randomised.
public enum SobolScramble: String, Sendable, Hashable, Codable {
    /// The plain Joe–Kuo sequence, identical to scipy's `Sobol(d, scramble=False)`; its first point is 0.
    case none
    /// A random lower-triangular binary matrix applied to the digits, plus a random digital shift
    /// (Matoušek's linear matrix scramble, as scipy's default scramble).
    case linearMatrix
    /// A hash-based nested uniform (Owen) scramble in the style of Laine–Karras and Burley (2020).
    case owen
}
