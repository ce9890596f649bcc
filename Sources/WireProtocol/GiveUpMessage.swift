/// `give_up` (kind 18): the launcher gave a simulation up; reception no longer waits for it.
public struct GiveUpMessage: Equatable, Sendable {
    /// The simulation given up.
    public var simulationID: UInt32

    /// A give-up message.
    public init(simulationID: UInt32) {
        self.simulationID = simulationID
    }

    /// The 12 bytes on the wire.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: WireFormat.giveUpSize)
        writer.writePreamble(.giveUp)
        writer.write(simulationID)
        return writer.bytes
    }

    /// Decodes a give-up message (exactly 12 bytes).
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(DecodeError) -> GiveUpMessage {
        var reader = ByteReader(bytes)
        try Preamble.read(&reader, expecting: .giveUp)
        let simulationID = try reader.read(UInt32.self)
        try reader.expectEnd()
        return GiveUpMessage(simulationID: simulationID)
    }

    /// Decodes a give-up message from an array.
    public static func decode(_ bytes: [UInt8]) throws(DecodeError) -> GiveUpMessage {
        try withBytes(bytes) { (buffer) throws(DecodeError) in try decode(buffer) }
    }
}
