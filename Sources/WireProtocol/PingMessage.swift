/// `ping` (kind 16): the launcher's heartbeat.
public struct PingMessage: Equatable, Sendable {
    /// The sequence number the `status` answer repeats.
    public var sequence: UInt64

    /// A ping.
    public init(sequence: UInt64) {
        self.sequence = sequence
    }

    /// The 16 bytes on the wire.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: WireFormat.pingSize)
        writer.writePreamble(.ping)
        writer.write(sequence)
        return writer.bytes
    }

    /// Decodes a ping (exactly 16 bytes).
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(DecodeError) -> PingMessage {
        var reader = ByteReader(bytes)
        try Preamble.read(&reader, expecting: .ping)
        let sequence = try reader.read(UInt64.self)
        try reader.expectEnd()
        return PingMessage(sequence: sequence)
    }

    /// Decodes a ping from an array.
    public static func decode(_ bytes: [UInt8]) throws(DecodeError) -> PingMessage {
        try withBytes(bytes) { (buffer) throws(DecodeError) in try decode(buffer) }
    }
}
