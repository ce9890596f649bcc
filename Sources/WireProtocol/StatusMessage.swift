/// `status` (kind 17): the server's answer to a ping, a JSON object after the sequence number.
public struct StatusMessage: Equatable, Sendable {
    /// The ping's sequence number.
    public var sequence: UInt64
    /// The status as a UTF-8 JSON object.
    public var json: [UInt8]

    /// A status message.
    public init(sequence: UInt64, json: [UInt8]) {
        self.sequence = sequence
        self.json = json
    }

    /// The bytes on the wire.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: WireFormat.pingSize + json.count)
        writer.writePreamble(.status)
        writer.write(sequence)
        writer.write(bytes: json)
        return writer.bytes
    }

    /// Decodes a status message (the JSON is checked to be UTF-8, not parsed).
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(DecodeError) -> StatusMessage {
        var reader = ByteReader(bytes)
        try Preamble.read(&reader, expecting: .status)
        let sequence = try reader.read(UInt64.self)
        let json = try reader.readString(reader.remaining)
        return StatusMessage(sequence: sequence, json: Array(json.utf8))
    }

    /// Decodes a status message from an array.
    public static func decode(_ bytes: [UInt8]) throws(DecodeError) -> StatusMessage {
        try withBytes(bytes) { (buffer) throws(DecodeError) in try decode(buffer) }
    }
}
