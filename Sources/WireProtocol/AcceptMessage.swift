/// `accept` (kind 2): the server's answer to a good `register`.
public struct AcceptMessage: Equatable, Sendable {
    /// The session number data of this (simulation, attempt) must carry.
    public var session: UInt64
    /// The data endpoints: `endpoints[r]` is training rank r's.
    public var endpoints: [String]

    /// An accept message.
    public init(session: UInt64, endpoints: [String]) {
        self.session = session
        self.endpoints = endpoints
    }

    /// The bytes on the wire.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 20 + endpoints.count * 32)
        writer.writePreamble(.accept)
        writer.write(session)
        writer.write(UInt32(truncatingIfNeeded: endpoints.count))
        for endpoint in endpoints {
            let bytes = Array(endpoint.utf8)
            writer.write(UInt16(truncatingIfNeeded: bytes.count))
            writer.write(bytes: bytes)
        }
        return writer.bytes
    }

    /// Decodes and range-checks an accept message.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(DecodeError) -> AcceptMessage {
        var reader = ByteReader(bytes)
        try Preamble.read(&reader, expecting: .accept)
        let session = try reader.read(UInt64.self)
        let count = Int(try reader.read(UInt32.self))
        guard (1...WireFormat.maximumTrainingRanks).contains(count) else {
            throw .malformed("\(count) endpoints is not in 1…\(WireFormat.maximumTrainingRanks)")
        }
        var endpoints: [String] = []
        for _ in 0..<count {
            let length = Int(try reader.read(UInt16.self))
            guard length > 0 else { throw .malformed("empty endpoint") }
            endpoints.append(try reader.readString(length))
        }
        try reader.expectEnd()
        return AcceptMessage(session: session, endpoints: endpoints)
    }

    /// Decodes an accept message from an array.
    public static func decode(_ bytes: [UInt8]) throws(DecodeError) -> AcceptMessage {
        try withBytes(bytes) { (buffer) throws(DecodeError) in try decode(buffer) }
    }
}
