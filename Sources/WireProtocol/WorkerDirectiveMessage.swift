/// `worker_directive` (kind 33): the launcher's answer to a `worker_report`: the preamble, the report's u64
/// sequence number, then a UTF-8 JSON object (``WorkerDirective``).
public struct WorkerDirectiveMessage: Equatable, Sendable {
    /// The sequence number of the report it answers.
    public var sequence: UInt64
    /// The directive as a UTF-8 JSON object.
    public var json: [UInt8]

    /// A directive message.
    public init(sequence: UInt64, json: [UInt8]) {
        self.sequence = sequence
        self.json = json
    }

    /// The bytes on the wire.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 16 + json.count)
        writer.writePreamble(.workerDirective)
        writer.write(sequence)
        writer.write(bytes: json)
        return writer.bytes
    }

    /// Decodes a directive (the JSON is checked to be UTF-8, not parsed).
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(DecodeError) -> WorkerDirectiveMessage {
        if bytes.count > WireFormat.maximumWorkerMessageSize { throw .oversized }
        var reader = ByteReader(bytes)
        try Preamble.read(&reader, expecting: .workerDirective)
        let sequence = try reader.read(UInt64.self)
        let json = try reader.readString(reader.remaining)
        return WorkerDirectiveMessage(sequence: sequence, json: Array(json.utf8))
    }

    /// Decodes a directive from an array.
    public static func decode(_ bytes: [UInt8]) throws(DecodeError) -> WorkerDirectiveMessage {
        try withBytes(bytes) { (buffer) throws(DecodeError) in try decode(buffer) }
    }
}
