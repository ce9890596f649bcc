import Foundation

/// Appends metrics records to a JSON-lines file, one flushed line each, so a reader (status, report) never sees half
/// a record.
final class MetricsLog {
    private let handle: FileHandle
    private let encoder: JSONEncoder

    init(url: URL) throws {
        if !FileManager.default.fileExists(atPath: url.path) {
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        }
        handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
        encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
    }

    deinit { try? handle.close() }

    func append(_ record: MetricsRecord) throws {
        var line = try encoder.encode(record)
        line.append(UInt8(ascii: "\n"))
        try handle.write(contentsOf: line)
    }

    /// Every record of a metrics file (unreadable lines are skipped).
    static func read(_ url: URL) -> [MetricsRecord] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return text.split(separator: "\n").compactMap { try? decoder.decode(MetricsRecord.self, from: Data($0.utf8)) }
    }
}
