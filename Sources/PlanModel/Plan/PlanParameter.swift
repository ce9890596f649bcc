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

        /// `value` as a value of this type: an integer of a real parameter becomes a real, a whole real of an
        /// integer parameter an integer, a number of a text parameter its text. (JSON does not keep `500.0` apart
        /// from `500`, and samplers and point files give numbers of either kind.)
        public func conformed(_ value: ParameterValue) -> ParameterValue {
            switch (self, value) {
            case (.real, .integer(let integer)): .real(Double(integer))
            case (.integer, .real(let real)) where real.rounded() == real && abs(real) < 9e15: .integer(Int(real))
            case (.text, .integer), (.text, .real): .text(value.description)
            default: value
            }
        }
    }

    /// The parameter's name.
    public var name: String
    /// The type of its values.
    public var type: ValueType
    /// The distribution its values are drawn from (a crashed simulation's values are redrawn from it); nil when the
    /// points came from a file.
    public var distribution: Distribution?

    /// `row` with each value of the type of its parameter (integers of a real parameter become reals, and so on).
    public static func conform(_ row: [ParameterValue], to parameters: [PlanParameter]) -> [ParameterValue] {
        zip(row, parameters).map { value, parameter in parameter.type.conformed(value) }
    }

    /// `row` conformed in place (``conform(_:to:)``): only the values of another type are replaced.
    public static func conform(_ row: inout [ParameterValue], to parameters: [PlanParameter]) {
        for index in row.indices where index < parameters.count {
            switch (parameters[index].type, row[index]) {
            case (.real, .real), (.integer, .integer), (.text, .text): continue
            default: row[index] = parameters[index].type.conformed(row[index])
            }
        }
    }

    /// Creates a parameter entry.
    public init(name: String, type: ValueType, distribution: Distribution? = nil) {
        self.name = name
        self.type = type
        self.distribution = distribution
    }
}
