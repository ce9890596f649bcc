import Sampling

// A simulation is encoded compactly, since a plan may hold 100,000 of them: values as a JSON array of numbers
// and strings (types restored by `Plan` from its parameters), no empty environment, no script when shared.
extension SimulationJob: Codable {
    private enum CodingKeys: String, CodingKey {
        case id
        case role
        case values
        case command
        case workingDirectory
        case environment
        case script
    }

    /// Decodes a simulation; numbers decode as integers when whole (``Plan`` restores each parameter's type).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(Int.self, forKey: .id)
        role = try container.decode(SimulationRole.self, forKey: .role)
        values = try container.decode([CompactValue].self, forKey: .values).map(\.value)
        command = try container.decode(String.self, forKey: .command)
        workingDirectory = try container.decode(String.self, forKey: .workingDirectory)
        environment = try container.decodeIfPresent([RenderedVariable].self, forKey: .environment) ?? []
        script = try container.decodeIfPresent(String.self, forKey: .script)
    }

    /// Encodes the simulation compactly.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(role, forKey: .role)
        try container.encode(values.map(CompactValue.init), forKey: .values)
        try container.encode(command, forKey: .command)
        try container.encode(workingDirectory, forKey: .workingDirectory)
        if !environment.isEmpty { try container.encode(environment, forKey: .environment) }
        try container.encodeIfPresent(script, forKey: .script)
    }
}
