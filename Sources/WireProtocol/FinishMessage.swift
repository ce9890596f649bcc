/// `finish` (kind 5): a rank of a simulation sent its last data.
public struct FinishMessage: Equatable, Sendable {
    /// The simulation id.
    public var simulationID: UInt32
    /// The attempt that registered.
    public var attempt: UInt32
    /// The session the server gave that registration.
    public var session: UInt64
    /// The sender's rank.
    public var rank: UInt32
    /// Time steps this rank sent.
    public var timeStepsSent: UInt32

    /// A finish message.
    public init(simulationID: UInt32, attempt: UInt32, session: UInt64, rank: UInt32, timeStepsSent: UInt32) {
        self.simulationID = simulationID
        self.attempt = attempt
        self.session = session
        self.rank = rank
        self.timeStepsSent = timeStepsSent
    }

    /// The 32 bytes on the wire.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: WireFormat.finishSize)
        writer.writePreamble(.finish)
        writer.write(simulationID)
        writer.write(attempt)
        writer.write(session)
        writer.write(rank)
        writer.write(timeStepsSent)
        return writer.bytes
    }

    /// Decodes a finish message (exactly 32 bytes).
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(DecodeError) -> FinishMessage {
        var reader = ByteReader(bytes)
        try Preamble.read(&reader, expecting: .finish)
        let message = FinishMessage(
            simulationID: try reader.read(UInt32.self), attempt: try reader.read(UInt32.self),
            session: try reader.read(UInt64.self), rank: try reader.read(UInt32.self),
            timeStepsSent: try reader.read(UInt32.self))
        try reader.expectEnd()
        return message
    }

    /// Decodes a finish message from an array.
    public static func decode(_ bytes: [UInt8]) throws(DecodeError) -> FinishMessage {
        try withBytes(bytes) { (buffer) throws(DecodeError) in try decode(buffer) }
    }
}
