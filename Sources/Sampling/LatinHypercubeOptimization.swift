/// How a Latin hypercube design is improved after it is drawn.
public enum LatinHypercubeOptimization: String, Sendable, Hashable, Codable {
    /// A plain random Latin hypercube.
    case none
    /// The candidate design with the largest minimum pairwise distance (see `LatinHypercube`).
    case maximin
}
