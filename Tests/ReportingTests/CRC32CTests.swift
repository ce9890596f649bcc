import Testing

@testable import Reporting

/// The byte-at-a-time CRC-32C, the definition the sliced one must agree with.
private func reference(_ bytes: [UInt8]) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        c ^= UInt32(byte)
        for _ in 0..<8 { c = c & 1 == 1 ? 0x82F6_3B78 ^ (c >> 1) : c >> 1 }
    }
    return c ^ 0xFFFF_FFFF
}

@Test func theSlicedCRC32CAgreesWithTheBytewiseOneOverAnySplit() {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    let bytes = (0..<300).map { _ -> UInt8 in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return UInt8(truncatingIfNeeded: state >> 56)
    }
    for length in [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 300] {
        let prefix = Array(bytes.prefix(length))
        #expect(CRC32C.checksum(prefix) == reference(prefix), "length \(length)")
        for split in Set([0, length / 3, length / 2, length]) {
            let first = Array(prefix.prefix(split))
            let second = Array(prefix.dropFirst(split))
            let crc = second.withUnsafeBytes { rest in
                first.withUnsafeBytes { CRC32C.update(CRC32C.update(CRC32C.initial, with: $0), with: rest) }
            }
            #expect(crc == reference(prefix), "length \(length) split at \(split)")
        }
    }
}
