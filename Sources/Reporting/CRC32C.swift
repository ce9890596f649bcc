/// CRC-32C (Castagnoli), as TFRecord frames use it, and its "masked" form; also the checksum of the training
/// server's checkpoint files (``update(_:with:)``, over several buffers in turn).
public enum CRC32C {
    /// Eight tables of 256 entries (slicing by 8): table 0 is the classic byte-at-a-time table.
    private static let tables: [UInt32] = {
        var tables = [UInt32](repeating: 0, count: 8 * 256)
        for index in 0..<256 {
            var c = UInt32(index)
            for _ in 0..<8 { c = c & 1 == 1 ? 0x82F6_3B78 ^ (c >> 1) : c >> 1 }
            tables[index] = c
        }
        for slice in 1..<8 {
            for index in 0..<256 {
                let previous = tables[(slice - 1) * 256 + index]
                tables[slice * 256 + index] = (previous >> 8) ^ tables[Int(previous & 0xFF)]
            }
        }
        return tables
    }()

    /// The checksum of no bytes: where ``update(_:with:)`` starts.
    public static let initial: UInt32 = 0

    /// The CRC-32C of the bytes checksummed into `crc` followed by `bytes`: start from ``initial``, then feed each
    /// buffer in order; the result is the CRC-32C of their concatenation.
    public static func update(_ crc: UInt32, with bytes: UnsafeRawBufferPointer) -> UInt32 {
        var c = ~crc
        let count = bytes.count
        var index = 0
        tables.withUnsafeBufferPointer { table in
            while count - index >= 8 {
                let low = bytes.loadUnaligned(fromByteOffset: index, as: UInt32.self).littleEndian ^ c
                let high = bytes.loadUnaligned(fromByteOffset: index + 4, as: UInt32.self).littleEndian
                c =
                    table[7 * 256 + Int(low & 0xFF)] ^ table[6 * 256 + Int((low >> 8) & 0xFF)]
                    ^ table[5 * 256 + Int((low >> 16) & 0xFF)] ^ table[4 * 256 + Int(low >> 24)]
                    ^ table[3 * 256 + Int(high & 0xFF)] ^ table[2 * 256 + Int((high >> 8) & 0xFF)]
                    ^ table[1 * 256 + Int((high >> 16) & 0xFF)] ^ table[Int(high >> 24)]
                index += 8
            }
            while index < count {
                c = table[Int((c ^ UInt32(bytes[index])) & 0xFF)] ^ (c >> 8)
                index += 1
            }
        }
        return ~c
    }

    /// The CRC-32C of `bytes`.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { update(initial, with: $0) }
    }

    /// TFRecord's mask: rotated right by 15 bits plus a constant.
    static func masked(_ bytes: [UInt8]) -> UInt32 {
        let c = checksum(bytes)
        return ((c >> 15) | (c << 17)) &+ 0xA282_EAD8
    }
}
