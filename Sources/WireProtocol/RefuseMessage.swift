/// `refuse` (kind 3): the server's answer to a bad `register`.
public struct RefuseMessage: Equatable, Sendable {
    /// Why.
    public var reason: RefusalReason
    /// What was wrong, for the simulation's log (at most 65,535 bytes are sent).
    public var message: String

    /// A refuse message.
    public init(reason: RefusalReason, message: String) {
        self.reason = reason
        self.message = message
    }

    /// The bytes on the wire.
    public func encoded() -> [UInt8] {
        let text = Array(message.utf8.prefix(Int(UInt16.max)))
        var writer = ByteWriter(capacity: 14 + text.count)
        writer.writePreamble(.refuse)
        writer.write(reason.rawValue)
        writer.write(UInt16(truncatingIfNeeded: text.count))
        writer.write(bytes: text)
        return writer.bytes
    }

    /// Decodes a refuse message (the text is decoded leniently: it is only for a log).
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(DecodeError) -> RefuseMessage {
        var reader = ByteReader(bytes)
        try Preamble.read(&reader, expecting: .refuse)
        let rawReason = try reader.read(UInt32.self)
        guard let reason = RefusalReason(rawValue: rawReason) else {
            throw .malformed("unknown refusal reason \(rawReason)")
        }
        let length = Int(try reader.read(UInt16.self))
        let text = String(decoding: try reader.readBytes(length), as: UTF8.self)
        try reader.expectEnd()
        return RefuseMessage(reason: reason, message: text)
    }

    /// Decodes a refuse message from an array.
    public static func decode(_ bytes: [UInt8]) throws(DecodeError) -> RefuseMessage {
        try withBytes(bytes) { (buffer) throws(DecodeError) in try decode(buffer) }
    }
}
