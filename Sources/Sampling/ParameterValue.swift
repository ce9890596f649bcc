/// A parameter's value: what a sampler yields once mapped through a distribution.
///
/// Encoded with Swift's synthesized `Codable` form (`{"real": {"_0": 1.5}}`), which keeps the case: a real
/// that happens to be whole (500.0) decodes as a real, not as an integer.
public enum ParameterValue: Sendable, Hashable, Codable, CustomStringConvertible {
    /// A real number.
    case real(Double)
    /// An integer.
    case integer(Int)
    /// Free text, e.g. one of the values of a choice.
    case text(String)

    /// The value as it appears in command lines and CSV files: reals in shortest round-trip form
    /// (Swift's `Double.description`, e.g. `500.0`, `1e-05`), integers in decimal, text as is.
    public var description: String {
        switch self {
        case .real(let value): return value.description
        case .integer(let value): return String(value)
        case .text(let value): return value
        }
    }
}
