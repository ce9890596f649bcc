import Foundation

/// What a training server leaves when it ends well: `<study dir>/server.done`, written by its rank 0 after the
/// model and the report, just before it exits 0. A launcher that was down while the server finished reads it to
/// tell a finished server from a crashed one (docs/launching.md, "Resuming").
public struct ServerEnding: Sendable, Hashable, Codable {
    /// Batches trained.
    public var batches: Int
    /// Whether a model was written (none after 0 batches).
    public var modelWritten: Bool
    /// When the server ended (seconds since 1970).
    public var endedAt: Double

    /// Creates an ending.
    public init(batches: Int, modelWritten: Bool, endedAt: Date = Date()) {
        self.batches = batches
        self.modelWritten = modelWritten
        self.endedAt = endedAt.timeIntervalSince1970
    }

    enum CodingKeys: String, CodingKey {
        case batches
        case modelWritten = "model_written"
        case endedAt = "ended_at"
    }

    /// The file's name in the study directory.
    public static let fileName = "server.done"

    /// Writes it into `studyDirectory` (atomically).
    public func write(toStudy studyDirectory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(self).write(to: studyDirectory.appendingPathComponent(Self.fileName), options: .atomic)
    }

    /// The ending the study in `studyDirectory` records, if its server ended well.
    public static func read(fromStudy studyDirectory: String) -> ServerEnding? {
        guard let data = FileManager.default.contents(atPath: studyDirectory + "/" + fileName) else { return nil }
        return try? JSONDecoder().decode(ServerEnding.self, from: data)
    }

    /// Removes the file from `studyDirectory` (before a server starts; none is the usual case).
    public static func remove(fromStudy studyDirectory: String) {
        try? FileManager.default.removeItem(atPath: studyDirectory + "/" + fileName)
    }
}
