/// The first frame of a `data` message (kind 4): which chunk of which field of which time step follows.
public struct DataHeader: Equatable, Sendable {
    /// The simulation id.
    public var simulationID: UInt32
    /// The attempt that registered.
    public var attempt: UInt32
    /// The session the server gave that registration.
    public var session: UInt64
    /// The time step (0-based).
    public var timeStep: UInt32
    /// The sender's rank within the simulation.
    public var rank: UInt32
    /// The position of the field in the registered list.
    public var fieldIndex: UInt16
    /// The type of the payload's values.
    public var elementType: ElementType
    /// Values in this chunk.
    public var elementCount: UInt64
    /// Index of the chunk's first value in the field.
    public var offset: UInt64

    /// A data header.
    public init(
        simulationID: UInt32, attempt: UInt32, session: UInt64, timeStep: UInt32, rank: UInt32,
        fieldIndex: UInt16, elementType: ElementType, elementCount: UInt64, offset: UInt64
    ) {
        self.simulationID = simulationID
        self.attempt = attempt
        self.session = session
        self.timeStep = timeStep
        self.rank = rank
        self.fieldIndex = fieldIndex
        self.elementType = elementType
        self.elementCount = elementCount
        self.offset = offset
    }

    /// The payload's size in bytes, or nil if it does not fit an `Int`.
    public var payloadSize: Int? {
        let (bytes, overflow) = elementCount.multipliedReportingOverflow(by: UInt64(elementType.size))
        guard !overflow, bytes <= UInt64(Int.max) else { return nil }
        return Int(bytes)
    }

    /// Writes the 56 header bytes into `buffer` (at least 56 bytes), without allocating.
    public func encode(into buffer: UnsafeMutableRawBufferPointer) {
        precondition(buffer.count >= WireFormat.dataHeaderSize, "a data header needs 56 bytes")
        for (index, byte) in WireFormat.magic.enumerated() { buffer[index] = byte }
        buffer.storeBytes(of: WireFormat.version.littleEndian, toByteOffset: 4, as: UInt16.self)
        buffer.storeBytes(of: MessageKind.data.rawValue.littleEndian, toByteOffset: 6, as: UInt16.self)
        buffer.storeBytes(of: simulationID.littleEndian, toByteOffset: 8, as: UInt32.self)
        buffer.storeBytes(of: attempt.littleEndian, toByteOffset: 12, as: UInt32.self)
        buffer.storeBytes(of: session.littleEndian, toByteOffset: 16, as: UInt64.self)
        buffer.storeBytes(of: timeStep.littleEndian, toByteOffset: 24, as: UInt32.self)
        buffer.storeBytes(of: rank.littleEndian, toByteOffset: 28, as: UInt32.self)
        buffer.storeBytes(of: fieldIndex.littleEndian, toByteOffset: 32, as: UInt16.self)
        buffer[34] = elementType.rawValue
        buffer[35] = 0
        buffer.storeBytes(of: UInt32(0), toByteOffset: 36, as: UInt32.self)
        buffer.storeBytes(of: elementCount.littleEndian, toByteOffset: 40, as: UInt64.self)
        buffer.storeBytes(of: offset.littleEndian, toByteOffset: 48, as: UInt64.self)
    }

    /// The 56 bytes on the wire.
    public func encoded() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: WireFormat.dataHeaderSize) { buffer, count in
            encode(into: UnsafeMutableRawBufferPointer(buffer))
            count = WireFormat.dataHeaderSize
        }
    }

    /// Decodes and range-checks a data header frame (exactly 56 bytes).
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(DecodeError) -> DataHeader {
        var reader = ByteReader(bytes)
        try Preamble.read(&reader, expecting: .data)
        let simulationID = try reader.read(UInt32.self)
        let attempt = try reader.read(UInt32.self)
        let session = try reader.read(UInt64.self)
        let timeStep = try reader.read(UInt32.self)
        let rank = try reader.read(UInt32.self)
        let fieldIndex = try reader.read(UInt16.self)
        let rawType = try reader.read(UInt8.self)
        let reserved8 = try reader.read(UInt8.self)
        let reserved32 = try reader.read(UInt32.self)
        let elementCount = try reader.read(UInt64.self)
        let offset = try reader.read(UInt64.self)
        try reader.expectEnd()
        guard let elementType = ElementType(rawValue: rawType) else {
            throw .malformed("element type \(rawType) is neither 1 (float32) nor 2 (float64)")
        }
        guard reserved8 == 0, reserved32 == 0 else { throw .malformed("reserved bytes are not zero") }
        let header = DataHeader(
            simulationID: simulationID, attempt: attempt, session: session, timeStep: timeStep, rank: rank,
            fieldIndex: fieldIndex, elementType: elementType, elementCount: elementCount, offset: offset)
        guard header.payloadSize != nil else { throw .oversized }
        return header
    }

    /// Decodes a data header from an array.
    public static func decode(_ bytes: [UInt8]) throws(DecodeError) -> DataHeader {
        try withBytes(bytes) { (buffer) throws(DecodeError) in try decode(buffer) }
    }
}
