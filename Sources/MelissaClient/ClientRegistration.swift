/// What rank 0 learns at registration and shares with the other ranks of its simulation.
public struct ClientRegistration: Sendable, Equatable {
    /// The session every data and finish message carries.
    public var session: UInt64
    /// The data endpoints: `endpoints[r]` is training rank r's.
    public var endpoints: [String]

    /// A registration.
    public init(session: UInt64, endpoints: [String]) {
        self.session = session
        self.endpoints = endpoints
    }
}
