/// `register` (kind 1): a simulation's rank 0 introduces itself.
public struct RegisterMessage: Equatable, Sendable {
    /// The study token (64 hex characters).
    public var token: [UInt8]
    /// The simulation id.
    public var simulationID: UInt32
    /// 0 for the first run, then the launcher's restart count.
    public var attempt: UInt32
    /// MPI ranks of the simulation (≥ 1).
    public var ranks: UInt32
    /// Time steps the simulation will send.
    public var timeSteps: UInt32
    /// The fields, in the order their index refers to.
    public var fields: [FieldDeclaration]

    /// A register message.
    public init(
        token: [UInt8], simulationID: UInt32, attempt: UInt32, ranks: UInt32, timeSteps: UInt32,
        fields: [FieldDeclaration]
    ) {
        self.token = token
        self.simulationID = simulationID
        self.attempt = attempt
        self.ranks = ranks
        self.timeSteps = timeSteps
        self.fields = fields
    }

    /// The bytes on the wire (a token of another length is padded or cut to 64 bytes).
    public func encoded(version: UInt16 = WireFormat.version) -> [UInt8] {
        var writer = ByteWriter(capacity: 90 + fields.count * 32)
        writer.writePreamble(.register, version: version)
        let token = self.token.prefix(WireFormat.tokenSize)
        writer.write(bytes: token)
        writer.write(bytes: repeatElement(UInt8(0), count: WireFormat.tokenSize - token.count))
        writer.write(simulationID)
        writer.write(attempt)
        writer.write(ranks)
        writer.write(timeSteps)
        writer.write(UInt16(truncatingIfNeeded: fields.count))
        for field in fields {
            let name = Array(field.name.utf8)
            writer.write(UInt16(truncatingIfNeeded: name.count))
            writer.write(bytes: name)
            writer.write(field.size)
        }
        return writer.bytes
    }

    /// Decodes and range-checks a register message.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(DecodeError) -> RegisterMessage {
        if bytes.count > WireFormat.maximumRegisterSize { throw .oversized }
        var reader = ByteReader(bytes)
        try Preamble.read(&reader, expecting: .register)
        let token = Array(try reader.readBytes(WireFormat.tokenSize))
        let simulationID = try reader.read(UInt32.self)
        let attempt = try reader.read(UInt32.self)
        let ranks = try reader.read(UInt32.self)
        let timeSteps = try reader.read(UInt32.self)
        let fieldCount = Int(try reader.read(UInt16.self))
        guard ranks >= 1 else { throw .malformed("ranks must be at least 1") }
        guard (1...WireFormat.maximumFieldCount).contains(fieldCount) else {
            throw .malformed("field count \(fieldCount) is not in 1…\(WireFormat.maximumFieldCount)")
        }
        var fields: [FieldDeclaration] = []
        fields.reserveCapacity(fieldCount)
        for _ in 0..<fieldCount {
            let length = Int(try reader.read(UInt16.self))
            guard (1...WireFormat.maximumFieldNameLength).contains(length) else {
                throw .malformed("field name length \(length) is not in 1…\(WireFormat.maximumFieldNameLength)")
            }
            let name = try reader.readString(length)
            let size = try reader.read(UInt64.self)
            guard size > 0 else { throw .malformed("field \(name) has size 0") }
            guard !fields.contains(where: { $0.name == name }) else { throw .malformed("field \(name) twice") }
            fields.append(FieldDeclaration(name: name, size: size))
        }
        try reader.expectEnd()
        return RegisterMessage(
            token: token, simulationID: simulationID, attempt: attempt, ranks: ranks, timeSteps: timeSteps,
            fields: fields)
    }

    /// Decodes a register message from an array.
    public static func decode(_ bytes: [UInt8]) throws(DecodeError) -> RegisterMessage {
        try withBytes(bytes) { (buffer) throws(DecodeError) in try decode(buffer) }
    }
}
