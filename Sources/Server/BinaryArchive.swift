import Foundation

/// A file of a JSON header and raw little-endian arrays, written atomically: the format of server checkpoints.
///
/// Layout: the magic `MLSCKPT1`, the header's length (u64), the header (JSON: metadata and, for each array, its
/// name, element type, count and byte offset after the header), then the arrays back to back. Large float arrays
/// (weights, optimiser moments, buffered samples) stay binary: a checkpoint of the paper's network writes in a
/// fraction of a second.
struct BinaryArchive {
    static let magic = Array("MLSCKPT1".utf8)

    struct Entry: Codable {
        var name: String
        var type: String
        var count: Int
        var offset: Int
    }

    struct Header: Codable {
        var metadata: Data
        var entries: [Entry]
    }

    private var floats: [(String, [Float])] = []
    private var integers: [(String, [UInt32])] = []
    private(set) var metadata = Data()

    init() {}

    mutating func setMetadata<Value: Encodable>(_ value: Value) throws {
        metadata = try JSONEncoder().encode(value)
    }

    mutating func add(_ name: String, floats values: [Float]) { floats.append((name, values)) }

    mutating func add(_ name: String, integers values: [UInt32]) { integers.append((name, values)) }

    /// Writes to a temporary file beside `url`, flushes it, then renames it over `url`.
    func write(to url: URL) throws {
        var entries: [Entry] = []
        var offset = 0
        for (name, values) in floats {
            entries.append(Entry(name: name, type: "f32", count: values.count, offset: offset))
            offset += values.count * 4
        }
        for (name, values) in integers {
            entries.append(Entry(name: name, type: "u32", count: values.count, offset: offset))
            offset += values.count * 4
        }
        let header = try JSONEncoder().encode(Header(metadata: metadata, entries: entries))
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp")
        _ = FileManager.default.createFile(atPath: temporary.path, contents: nil)
        let handle = try FileHandle(forWritingTo: temporary)
        do {
            var prefix = Data(Self.magic)
            withUnsafeBytes(of: UInt64(header.count).littleEndian) { prefix.append(contentsOf: $0) }
            prefix.append(header)
            try handle.write(contentsOf: prefix)
            for (_, values) in floats { try values.withUnsafeBytes { try handle.write(contentsOf: Data($0)) } }
            for (_, values) in integers { try values.withUnsafeBytes { try handle.write(contentsOf: Data($0)) } }
            try handle.synchronize()
            try handle.close()
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
        if rename(temporary.path, url.path) != 0 {
            throw ServerError.checkpoint("cannot rename \(temporary.path) to \(url.path): errno \(errno)")
        }
    }

    /// A read archive.
    struct Contents {
        let header: Header
        let data: Data
        let base: Int

        func metadata<Value: Decodable>(_ type: Value.Type) throws -> Value {
            try JSONDecoder().decode(type, from: header.metadata)
        }

        func floats(_ name: String) throws -> [Float] {
            let entry = try find(name, "f32")
            return data.withUnsafeBytes { raw in
                (0..<entry.count).map { index in
                    Float(
                        bitPattern: raw.loadUnaligned(fromByteOffset: base + entry.offset + index * 4, as: UInt32.self))
                }
            }
        }

        func integers(_ name: String) throws -> [UInt32] {
            let entry = try find(name, "u32")
            return data.withUnsafeBytes { raw in
                (0..<entry.count).map {
                    raw.loadUnaligned(fromByteOffset: base + entry.offset + $0 * 4, as: UInt32.self)
                }
            }
        }

        private func find(_ name: String, _ type: String) throws -> Entry {
            guard let entry = header.entries.first(where: { $0.name == name && $0.type == type }),
                entry.offset >= 0, entry.count >= 0, base + entry.offset + entry.count * 4 <= data.count
            else { throw ServerError.checkpoint("the checkpoint has no valid array `\(name)`") }
            return entry
        }
    }

    static func read(from url: URL) throws -> Contents {
        let data = try Data(contentsOf: url)
        guard data.count >= 16, Array(data.prefix(8)) == magic else {
            throw ServerError.checkpoint("\(url.path) is not a melissa checkpoint")
        }
        let length = data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self)) }
        guard length < UInt64(data.count - 16) else { throw ServerError.checkpoint("\(url.path) is truncated") }
        let header = try JSONDecoder().decode(Header.self, from: data.subdata(in: 16..<(16 + Int(length))))
        return Contents(header: header, data: data, base: 16 + Int(length))
    }
}
