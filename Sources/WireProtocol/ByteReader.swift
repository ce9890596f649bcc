/// Bounds-checked little-endian reads from a byte buffer: every read past the end throws `.truncated`.
public struct ByteReader {
    private let bytes: UnsafeRawBufferPointer
    /// The next byte to read.
    public private(set) var position = 0

    /// A reader at the start of `bytes` (which must outlive it).
    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// Bytes left.
    public var remaining: Int { bytes.count - position }

    @inline(__always)
    private mutating func take(_ size: Int) throws(DecodeError) -> Int {
        guard size <= remaining else { throw .truncated }
        defer { position += size }
        return position
    }

    /// A little-endian integer.
    @inline(__always)
    public mutating func read<T: FixedWidthInteger>(_: T.Type) throws(DecodeError) -> T {
        let start = try take(MemoryLayout<T>.size)
        return T(littleEndian: bytes.loadUnaligned(fromByteOffset: start, as: T.self))
    }

    /// `count` raw bytes (`count` comes from the wire: it is checked, never trusted).
    public mutating func readBytes(_ count: Int) throws(DecodeError) -> UnsafeRawBufferPointer {
        guard count >= 0 else { throw .malformed("negative length") }
        let start = try take(count)
        return UnsafeRawBufferPointer(rebasing: bytes[start..<start + count])
    }

    /// `count` bytes that must be valid UTF-8.
    public mutating func readString(_ count: Int) throws(DecodeError) -> String {
        let raw = try readBytes(count)
        guard let string = String(validating: raw.bindMemory(to: UInt8.self), as: UTF8.self) else {
            throw .malformed("invalid UTF-8")
        }
        return string
    }

    /// Checks that every byte was read.
    public func expectEnd() throws(DecodeError) {
        if remaining > 0 { throw .oversized }
    }
}
