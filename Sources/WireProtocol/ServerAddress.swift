import Foundation

/// The contents of `<study dir>/server.address`: where a running server listens.
public struct ServerAddress: Codable, Equatable, Sendable {
    /// The protocol version the server speaks.
    public var `protocol`: Int
    /// The server's process id.
    public var pid: Int
    /// The server's host name.
    public var host: String
    /// The registration endpoint (ROUTER).
    public var registration: String
    /// The control endpoint (ROUTER).
    public var control: String
    /// The data endpoints: `data[r]` is training rank r's (PULL).
    public var data: [String]
    /// The server's CURVE public key (Z85) when it requires encryption.
    public var curveServerKey: String?

    enum CodingKeys: String, CodingKey {
        case `protocol`, pid, host, registration, control, data
        case curveServerKey = "curve_server_key"
    }

    /// An address record.
    public init(
        protocol: Int = Int(WireFormat.version), pid: Int, host: String, registration: String, control: String,
        data: [String], curveServerKey: String? = nil
    ) {
        self.protocol = `protocol`
        self.pid = pid
        self.host = host
        self.registration = registration
        self.control = control
        self.data = data
        self.curveServerKey = curveServerKey
    }

    /// The file name inside a study directory.
    public static let fileName = "server.address"

    /// Writes `directory/server.address` atomically: a temporary file in the same directory, then a rename.
    public func write(toDirectory directory: URL) throws {
        try AddressFile.write(self, named: Self.fileName, toDirectory: directory)
    }

    /// Reads `directory/server.address`, waiting (polling every 50 ms) up to `timeout` seconds for it to appear.
    public static func read(fromDirectory directory: URL, timeout: Double = 300) throws -> ServerAddress {
        let path = directory.appendingPathComponent(fileName)
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let bytes = try? Data(contentsOf: path) {
                return try JSONDecoder().decode(ServerAddress.self, from: bytes)
            }
            if Date() >= deadline {
                throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path.path])
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }
}
