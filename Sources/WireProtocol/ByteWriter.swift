/// Little-endian appends to a byte array.
public struct ByteWriter {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8]

    /// An empty writer with room for `capacity` bytes.
    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Appends the preamble of a message of `kind`, in `version`.
    public mutating func writePreamble(_ kind: MessageKind, version: UInt16 = WireFormat.version) {
        bytes.append(contentsOf: WireFormat.magic)
        write(version)
        write(kind.rawValue)
    }

    /// Appends a little-endian integer.
    public mutating func write<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends raw bytes.
    public mutating func write<Bytes: Sequence>(bytes other: Bytes) where Bytes.Element == UInt8 {
        bytes.append(contentsOf: other)
    }
}
