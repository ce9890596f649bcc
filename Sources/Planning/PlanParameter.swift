/// A parameter as the plan records it: its name and the type of its values.
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

    /// Creates a parameter entry.
    public init(name: String, type: ValueType) {
        self.name = name
        self.type = type
    }
}
