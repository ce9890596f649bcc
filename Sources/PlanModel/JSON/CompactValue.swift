import Sampling

/// A parameter value as plan.json and redraws.json write it: a bare JSON number or string. Numbers decode as integers
/// when whole; the parameter's type restores the kind (``PlanParameter/ValueType/conformed(_:)``).
struct CompactValue: Codable {
    var value: ParameterValue

    init(_ value: ParameterValue) {
        self.value = value
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let integer = try? container.decode(Int.self) {
            value = .integer(integer)
        } else if let real = try? container.decode(Double.self) {
            value = .real(real)
        } else {
            value = .text(try container.decode(String.self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch value {
        case .real(let real): try container.encode(real)
        case .integer(let integer): try container.encode(integer)
        case .text(let text): try container.encode(text)
        }
    }
}
