import Foundation

/// Writes scalars as a TensorBoard event file (`events.out.tfevents.<time>.<host>.<pid>`), so that
/// `tensorboard --logdir STUDY/tensorboard` shows a running study.
///
/// The format is TensorFlow's: TFRecord framing (a little-endian 64-bit length, its masked CRC-32C, the bytes, their
/// masked CRC-32C) around `Event` protocol buffers (`wall_time` = 1, `step` = 2, `file_version` = 3, `summary` = 5,
/// with `Summary.Value` `tag` = 1 and `simple_value` = 2). Only these few fields are needed, so they are encoded here
/// rather than through generated code. Each event is flushed as it is written.
public final class TensorBoardWriter {
    /// The event file.
    public let url: URL
    private let handle: FileHandle

    /// Opens a new event file in `directory` (created if needed) and writes its version record.
    public init(directory: URL, wallTime: Date = Date()) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let host = ProcessInfo.processInfo.hostName.replacingOccurrences(of: "/", with: "_")
        let pid = ProcessInfo.processInfo.processIdentifier
        url = directory.appendingPathComponent(
            "events.out.tfevents.\(Int(wallTime.timeIntervalSince1970)).\(host).\(pid)")
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
        handle = try FileHandle(forWritingTo: url)
        var event = ProtoWriter()
        event.double(1, wallTime.timeIntervalSince1970)
        event.bytes(3, Array("brain.Event:2".utf8))
        try write(record: event.bytes)
    }

    deinit {
        try? handle.close()
    }

    /// Appends one event holding `scalars` (tag → value) at `step`.
    public func add(step: Int, scalars: [(tag: String, value: Double)], wallTime: Date = Date()) throws {
        var summary = ProtoWriter()
        for (tag, value) in scalars where value.isFinite {
            var entry = ProtoWriter()
            entry.bytes(1, Array(tag.utf8))
            entry.float(2, Float(value))
            summary.bytes(1, entry.bytes)
        }
        var event = ProtoWriter()
        event.double(1, wallTime.timeIntervalSince1970)
        event.varint(2, UInt64(bitPattern: Int64(step)))
        event.bytes(5, summary.bytes)
        try write(record: event.bytes)
    }

    private func write(record: [UInt8]) throws {
        var length = [UInt8]()
        var count = UInt64(record.count)
        for _ in 0..<8 {
            length.append(UInt8(count & 0xFF))
            count >>= 8
        }
        var frame = length + Self.littleEndian(CRC32C.masked(length))
        frame += record + Self.littleEndian(CRC32C.masked(record))
        try handle.write(contentsOf: Data(frame))
        try handle.synchronize()
    }

    private static func littleEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8(value >> 24)]
    }
}
