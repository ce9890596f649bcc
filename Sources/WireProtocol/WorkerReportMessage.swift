/// `worker_report` (kind 32): a worker tells the launcher what it runs and what ended, with the study token; when it
/// is idle, the report is its claim for the next simulation.
///
/// The preamble, the 64 characters of the study token, a u64 sequence number (the answer repeats it), then a UTF-8
/// JSON object (``WorkerReport``); at most ``WireFormat/maximumWorkerMessageSize`` bytes in all.
public struct WorkerReportMessage: Equatable, Sendable {
    /// The study token (64 hex characters).
    public var token: [UInt8]
    /// The number the `worker_directive` answer repeats.
    public var sequence: UInt64
    /// The report as a UTF-8 JSON object.
    public var json: [UInt8]

    /// A report message.
    public init(token: [UInt8], sequence: UInt64, json: [UInt8]) {
        self.token = token
        self.sequence = sequence
        self.json = json
    }

    /// The bytes on the wire (a token of another length is padded or cut to 64 bytes).
    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: WireFormat.workerReportHeaderSize + json.count)
        writer.writePreamble(.workerReport)
        let token = self.token.prefix(WireFormat.tokenSize)
        writer.write(bytes: token)
        writer.write(bytes: repeatElement(UInt8(0), count: WireFormat.tokenSize - token.count))
        writer.write(sequence)
        writer.write(bytes: json)
        return writer.bytes
    }

    /// Decodes a report (the JSON is checked to be UTF-8, not parsed).
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(DecodeError) -> WorkerReportMessage {
        if bytes.count > WireFormat.maximumWorkerMessageSize { throw .oversized }
        var reader = ByteReader(bytes)
        try Preamble.read(&reader, expecting: .workerReport)
        let token = Array(try reader.readBytes(WireFormat.tokenSize))
        let sequence = try reader.read(UInt64.self)
        let json = try reader.readString(reader.remaining)
        return WorkerReportMessage(token: token, sequence: sequence, json: Array(json.utf8))
    }

    /// Decodes a report from an array.
    public static func decode(_ bytes: [UInt8]) throws(DecodeError) -> WorkerReportMessage {
        try withBytes(bytes) { (buffer) throws(DecodeError) in try decode(buffer) }
    }
}
