/// What can go wrong on the server's control channel.
public enum ServerControlError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No `status` came back in time.
    case noAnswer(endpoint: String, seconds: Double)
    /// A `status` whose JSON is not an object.
    case malformedStatus(String)

    /// A message for a person.
    public var description: String {
        switch self {
        case .noAnswer(let endpoint, let seconds): "no status from \(endpoint) within \(seconds) s"
        case .malformedStatus(let json): "the server's status is not a JSON object: \(json.prefix(200))"
        }
    }
}
