import Sampling

/// A parameter as the plan records it: its name, the type of its values, and the distribution it was drawn from.
public struct PlanParameter: Sendable, Hashable, Codable {
    /// The type of a parameter's values.
    public enum ValueType: String, Sendable, Hashable, Codable {
        /// Real numbers.
        case real
        /// Integers.
        case integer
        /// Text (the values of a `choice`, or of a point file).
        case text
    }

    /// The parameter's name.
    public var name: String
    /// The type of its values.
    public var type: ValueType
    /// The distribution its values are drawn from (a crashed simulation's values are redrawn from it); nil when the
    /// points came from a file.
    public var distribution: Distribution?

    /// Creates a parameter entry.
    public init(name: String, type: ValueType, distribution: Distribution? = nil) {
        self.name = name
        self.type = type
        self.distribution = distribution
    }
}
