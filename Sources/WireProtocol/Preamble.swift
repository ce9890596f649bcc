/// The 8 bytes every message starts with: magic, version, kind.
public struct Preamble: Equatable, Sendable {
    /// The protocol version.
    public let version: UInt16
    /// The kind.
    public let kind: MessageKind

    /// The preamble of `bytes`, checked in the order magic, version, kind.
    ///
    /// Throws `.version` for another version even when the rest is fine, so the registration service can refuse
    /// in its own version.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(DecodeError) -> Preamble {
        var reader = ByteReader(bytes)
        let magic = try reader.readBytes(4)
        guard magic.elementsEqual(WireFormat.magic) else { throw .magic }
        let version = try reader.read(UInt16.self)
        let rawKind = try reader.read(UInt16.self)
        guard version == WireFormat.version else { throw .version(version) }
        guard let kind = MessageKind(rawValue: rawKind) else { throw .kind(rawKind) }
        return Preamble(version: version, kind: kind)
    }

    /// Reads and checks a preamble of `expected` kind from `reader`.
    static func read(_ reader: inout ByteReader, expecting expected: MessageKind) throws(DecodeError) {
        let magic = try reader.readBytes(4)
        guard magic.elementsEqual(WireFormat.magic) else { throw .magic }
        let version = try reader.read(UInt16.self)
        let kind = try reader.read(UInt16.self)
        guard version == WireFormat.version else { throw .version(version) }
        guard kind == expected.rawValue else { throw .kind(kind) }
    }
}
