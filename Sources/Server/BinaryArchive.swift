import Foundation
import Reporting

/// A file of a JSON header and raw little-endian arrays, checksummed and written atomically: the format of server
/// checkpoints (and of the report's excerpt).
///
/// Layout (container 2): the magic `MLSCKPT2`; the header's length H (u64); the arrays' length B (u64); the CRC-32C
/// (Castagnoli) of bytes 8..<24 and of everything after byte 32 (u32); 4 zero bytes; the header (JSON: metadata
/// and, for each array, its name, element type, count and byte offset after the header); then the arrays back to
/// back. A file is 32 + H + B bytes long, so a truncated one is told from a corrupt one. Container 1 (`MLSCKPT1`,
/// H, the header, the arrays; no checksum) is still read. Large float arrays (weights, optimiser moments, buffered
/// samples) stay binary: a checkpoint of the paper's network writes in a fraction of a second.
struct BinaryArchive {
    static let magic = Array("MLSCKPT2".utf8)
    /// The first container's magic, read but no longer written.
    static let magicVersion1 = Array("MLSCKPT1".utf8)
    /// Bytes before the header in container 2.
    static let prefixLength = 32

    struct Entry: Codable {
        var name: String
        var type: String
        var count: Int
        var offset: Int

        /// Whether the array lies within `length` bytes of arrays (without overflowing on absurd values).
        func fits(in length: Int) -> Bool {
            offset >= 0 && count >= 0 && count <= length / 4 && offset <= length - count * 4
        }
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

    /// Writes to a temporary file beside `url` (`.<name>.tmp`), flushes it to the disk, then renames it over `url`:
    /// `url` holds either its old contents or the new ones, whatever happens. Throws ``ServerError/checkpoint(_:)``
    /// naming the file and the system's error in words (a directory in the way, a full disk); the temporary file
    /// is removed then.
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
        var lengths: [UInt8] = []
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { lengths += $0 }
        withUnsafeBytes(of: UInt64(offset).littleEndian) { lengths += $0 }
        var crc = lengths.withUnsafeBytes { CRC32C.update(CRC32C.initial, with: $0) }
        crc = header.withUnsafeBytes { CRC32C.update(crc, with: $0) }
        for (_, values) in floats { crc = values.withUnsafeBytes { CRC32C.update(crc, with: $0) } }
        for (_, values) in integers { crc = values.withUnsafeBytes { CRC32C.update(crc, with: $0) } }
        var prefix = Self.magic + lengths
        withUnsafeBytes(of: crc.littleEndian) { prefix += $0 }
        prefix += [0, 0, 0, 0]

        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp")
        let file = try SystemFile.create(temporary.path)
        do {
            try prefix.withUnsafeBytes { try file.append($0) }
            try header.withUnsafeBytes { try file.append($0) }
            for (_, values) in floats { try values.withUnsafeBytes { try file.append($0) } }
            for (_, values) in integers { try values.withUnsafeBytes { try file.append($0) } }
            try file.synchronize()
        } catch {
            file.closeQuietly()
            unlink(temporary.path)
            throw error
        }
        do {
            try file.close()
            try SystemFile.rename(temporary.path, to: url.path)
        } catch {
            unlink(temporary.path)
            throw error
        }
        SystemFile.synchronizeDirectory(of: url.path)
    }

    /// A read archive.
    struct Contents {
        let header: Header
        let data: Data
        let base: Int
        /// Whether the file carried a checksum (container 2), which matched.
        let checksummed: Bool

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
                entry.fits(in: data.count - base)
            else { throw ServerError.checkpoint("the checkpoint has no valid array `\(name)`") }
            return entry
        }
    }

    /// Reads and checks the archive at `url`: its magic, its length and its checksum (container 2). Throws
    /// ``ServerError/checkpoint(_:)`` naming the file and what is wrong with it.
    static func read(from url: URL) throws -> Contents {
        let path = url.path
        let data = try SystemFile.contents(of: path)
        guard !data.isEmpty else { throw ServerError.checkpoint("\(path) is empty") }
        let magic = Array(data.prefix(8))
        if magic == Self.magicVersion1 { return try readVersion1(data, path: path) }
        guard magic == Self.magic else {
            throw ServerError.checkpoint(
                "\(path) is not a melissa checkpoint: it does not start with \(String(decoding: Self.magic, as: UTF8.self))"
            )
        }
        guard data.count >= prefixLength else {
            throw ServerError.checkpoint(
                "\(path) is truncated: \(data.count) bytes, less than its \(prefixLength)-byte prefix")
        }
        let (headerLength, bodyLength, stored) = data.withUnsafeBytes { raw in
            (
                UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
                UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
                UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 24, as: UInt32.self))
            )
        }
        let (expected, overflow) = UInt64(prefixLength).addingReportingOverflow(headerLength)
        let (total, overflow2) = expected.addingReportingOverflow(bodyLength)
        guard !overflow, !overflow2, total == UInt64(data.count) else {
            let announced = overflow || overflow2 ? "an impossible length" : "\(total) bytes"
            if !overflow, !overflow2, total > UInt64(data.count) {
                throw ServerError.checkpoint(
                    "\(path) is truncated: \(data.count) bytes of the \(announced) its prefix announces")
            }
            throw ServerError.checkpoint(
                "\(path) is corrupt: \(data.count) bytes, but its prefix announces \(announced)")
        }
        let computed = data.withUnsafeBytes { raw in
            let lengths = UnsafeRawBufferPointer(rebasing: raw[8..<24])
            let rest = UnsafeRawBufferPointer(rebasing: raw[prefixLength...])
            return CRC32C.update(CRC32C.update(CRC32C.initial, with: lengths), with: rest)
        }
        guard computed == stored else {
            throw ServerError.checkpoint(
                "\(path) is corrupt: its CRC-32C is \(hex(computed)) but its prefix says \(hex(stored))")
        }
        let base = prefixLength + Int(headerLength)
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: data.subdata(in: prefixLength..<base))
        } catch {
            throw ServerError.checkpoint("\(path) has a header that does not decode: \(describe(error))")
        }
        for entry in header.entries where !entry.fits(in: Int(bodyLength)) {
            throw ServerError.checkpoint("\(path) is corrupt: its array `\(entry.name)` lies outside the file")
        }
        return Contents(header: header, data: data, base: base, checksummed: true)
    }

    private static func readVersion1(_ data: Data, path: String) throws -> Contents {
        guard data.count >= 16 else { throw ServerError.checkpoint("\(path) is truncated: \(data.count) bytes") }
        let length = data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self)) }
        guard length < UInt64(data.count - 16) else {
            throw ServerError.checkpoint("\(path) is truncated: \(data.count) bytes, its header announces \(length)")
        }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: data.subdata(in: 16..<(16 + Int(length))))
        } catch {
            throw ServerError.checkpoint("\(path) has a header that does not decode: \(describe(error))")
        }
        return Contents(header: header, data: data, base: 16 + Int(length), checksummed: false)
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }

    /// A decoding error in a line, not Foundation's dump of its coding path and context.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }
            return keys.isEmpty ? "the top level" : "`" + keys.joined(separator: ".") + "`"
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "no key `\(key.stringValue)` in \(path(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "\(path(context)) has the wrong type"
        case .dataCorrupted(let context):
            return "\(path(context)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
