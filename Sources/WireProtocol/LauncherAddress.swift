import Foundation

/// The contents of `<study dir>/launcher.address`: where a running launcher serves its workers (the worker
/// channel, docs/protocol.md).
public struct LauncherAddress: Codable, Equatable, Sendable {
    /// The protocol version the launcher speaks.
    public var `protocol`: Int
    /// The launcher's process id.
    public var pid: Int
    /// The launcher's host name.
    public var host: String
    /// The worker channel's endpoint (ROUTER), `tcp://host:port`.
    public var workers: String

    /// An address record.
    public init(protocol: Int = Int(WireFormat.version), pid: Int, host: String, workers: String) {
        self.protocol = `protocol`
        self.pid = pid
        self.host = host
        self.workers = workers
    }

    /// The file name inside a study directory.
    public static let fileName = "launcher.address"

    /// Writes `directory/launcher.address` atomically: a temporary file in the same directory, then a rename.
    public func write(toDirectory directory: URL) throws {
        try AddressFile.write(self, named: Self.fileName, toDirectory: directory)
    }

    /// Reads `directory/launcher.address`; nil when it is missing or cannot be read.
    public static func read(fromDirectory directory: URL) -> LauncherAddress? {
        guard let bytes = FileManager.default.contents(atPath: directory.appendingPathComponent(fileName).path) else {
            return nil
        }
        return try? JSONDecoder().decode(LauncherAddress.self, from: bytes)
    }
}
