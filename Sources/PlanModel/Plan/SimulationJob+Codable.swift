import Sampling

// A simulation alone (outside a plan, whose table stores only the values): `{id, role, values}`, values as a JSON
// array of numbers and strings (types restored from the parameters by whoever reads it).
extension SimulationJob: Codable {
    private enum CodingKeys: String, CodingKey {
        case id
        case role
        case values
    }

    /// Decodes a simulation; numbers decode as integers when whole (``Plan`` restores each parameter's type).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(Int.self, forKey: .id)
        role = try container.decode(SimulationRole.self, forKey: .role)
        values = try container.decode([CompactValue].self, forKey: .values).map(\.value)
    }

    /// Encodes the simulation compactly.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(role, forKey: .role)
        try container.encode(values.map(CompactValue.init), forKey: .values)
    }
}
