import Foundation

/// A parameter's distribution. Bounds of uniform/log-uniform are [lower, upper]; integerUniform is inclusive.
public enum Distribution: Sendable, Hashable, Codable {
    /// Uniform on [lower, upper].
    case uniform(lower: Double, upper: Double)
    /// Log-uniform on [lower, upper], 0 < lower: uniform in log space.
    case logUniform(lower: Double, upper: Double)
    /// Normal, truncated to [lower, upper] when a bound is given (a missing bound is infinite).
    case normal(mean: Double, std: Double, lower: Double?, upper: Double?)
    /// Uniform over the integers lower...upper, both included.
    case integerUniform(lower: Int, upper: Int)
    /// Each of the values with the same probability.
    case choice([ParameterValue])

    /// Quantiles of a normal are taken in [clamp, 1 - clamp] so that u = 0 or 1 stays finite
    /// (about ±7 standard deviations) on a side without a bound.
    public static let normalQuantileClamp = 1e-12

    /// Maps u in [0, 1] through the inverse CDF.
    ///
    /// Total: u outside [0, 1] is clamped into it (NaN counts as 0.5); unbounded normals clamp u into
    /// [`normalQuantileClamp`, 1 - `normalQuantileClamp`]; results of a valid distribution (see `validate()`) lie
    /// within its bounds, and integers and choices never index out of range. An empty choice, which `validate()`
    /// rejects, yields `.text("")`.
    public func value(atQuantile u: Double) -> ParameterValue {
        let u = u.isNaN ? 0.5 : min(max(u, 0), 1)
        switch self {
        case .uniform(let lower, let upper):
            return .real(min(max(lower + u * (upper - lower), lower), upper))
        case .logUniform(let lower, let upper):
            if u == 0 { return .real(lower) }
            if u == 1 { return .real(upper) }
            let low = log(lower)
            return .real(min(max(exp(low + u * (log(upper) - low)), lower), upper))
        case .normal(let mean, let std, let lower, let upper):
            if lower == nil && upper == nil {
                let clamped = min(max(u, Self.normalQuantileClamp), 1 - Self.normalQuantileClamp)
                return .real(mean + std * StandardNormal.quantile(clamped))
            }
            let a = lower.map { ($0 - mean) / std } ?? -.infinity
            let b = upper.map { ($0 - mean) / std } ?? .infinity
            let x =
                mean + std
                * StandardNormal.truncatedQuantile(
                    u, lower: a, upper: b, clamp: Self.normalQuantileClamp)
            return .real(min(max(x, lower ?? -.infinity), upper ?? .infinity))
        case .integerUniform(let lower, let upper):
            guard upper > lower else { return .integer(lower) }
            let span = UInt64(bitPattern: Int64(upper &- lower))  // number of values minus one
            let offset = (u * (Double(span) + 1)).rounded(.down)
            let step = offset >= Double(span) ? span : UInt64(offset)
            return .integer(lower &+ Int(truncatingIfNeeded: step))
        case .choice(let values):
            guard !values.isEmpty else { return .text("") }
            return values[min(Int(u * Double(values.count)), values.count - 1)]
        }
    }

    /// Checks that the parameters make sense: finite bounds with lower < upper, lower > 0 for log-uniform,
    /// a positive finite standard deviation, lower ≤ upper for integers, at least one choice.
    public func validate() throws {
        switch self {
        case .uniform(let lower, let upper):
            guard lower.isFinite, upper.isFinite, lower < upper else {
                throw SamplingError.invalidDistribution("uniform needs finite bounds with lower < upper")
            }
        case .logUniform(let lower, let upper):
            guard lower.isFinite, upper.isFinite, lower > 0, lower < upper else {
                throw SamplingError.invalidDistribution("log-uniform needs finite bounds with 0 < lower < upper")
            }
        case .normal(let mean, let std, let lower, let upper):
            guard mean.isFinite, std.isFinite, std > 0 else {
                throw SamplingError.invalidDistribution("normal needs a finite mean and a positive finite std")
            }
            if let lower, let upper, !(lower < upper) {
                throw SamplingError.invalidDistribution("truncated normal needs lower < upper")
            }
            if lower?.isNaN == true || upper?.isNaN == true {
                throw SamplingError.invalidDistribution("truncated normal bounds must be numbers")
            }
        case .integerUniform(let lower, let upper):
            guard lower <= upper else {
                throw SamplingError.invalidDistribution("integer uniform needs lower <= upper")
            }
        case .choice(let values):
            guard !values.isEmpty else {
                throw SamplingError.invalidDistribution("choice needs at least one value")
            }
        }
    }
}
