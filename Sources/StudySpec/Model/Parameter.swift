/// One input parameter of the simulation and the distribution it is drawn from.
public struct Parameter: Sendable, Hashable, Codable {
    /// The parameter's name: an identifier, used as `{{name}}` in templates and as a CSV column.
    public var name: String
    /// The distribution its values are drawn from.
    public var distribution: DistributionSpec

    /// Creates a parameter.
    public init(name: String, distribution: DistributionSpec) {
        self.name = name
        self.distribution = distribution
    }
}

/// A value written in a study file: a number or a string (choices, fixed values).
public enum ScalarValue: Sendable, Hashable, Codable, CustomStringConvertible {
    /// An integer.
    case integer(Int)
    /// A real number.
    case real(Double)
    /// A string.
    case text(String)

    /// The value as it appears on a command line.
    public var description: String {
        switch self {
        case .integer(let value): return String(value)
        case .real(let value): return String(value)
        case .text(let value): return value
        }
    }
}

/// How a parameter is distributed, as the study file says it.
public enum DistributionSpec: Sendable, Hashable, Codable {
    /// Uniform on [lower, upper]: `{uniform: [100, 500]}`.
    case uniform(lower: Double, upper: Double)
    /// Log-uniform on [lower, upper], 0 < lower < upper: `{log_uniform: [1.0e-3, 1.0]}`.
    case logUniform(lower: Double, upper: Double)
    /// Normal, truncated to [lower, upper] when bounds are given: `{normal: {mean: 0, std: 1, lower: -2}}`.
    case normal(mean: Double, std: Double, lower: Double?, upper: Double?)
    /// Integers lower...upper, each equally likely: `{integer: [1, 8]}`.
    case integerUniform(lower: Int, upper: Int)
    /// One of a list, each equally likely: `{choice: [jacobi, cg, gmres]}`.
    case choice([ScalarValue])

    /// The distribution's key in the study file.
    public var keyword: String {
        switch self {
        case .uniform: return "uniform"
        case .logUniform: return "log_uniform"
        case .normal: return "normal"
        case .integerUniform: return "integer"
        case .choice: return "choice"
        }
    }
}
