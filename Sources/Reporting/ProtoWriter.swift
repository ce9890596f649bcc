/// The few protocol-buffer encodings an event file needs: varints, 64- and 32-bit floats, length-delimited bytes.
struct ProtoWriter {
    private(set) var bytes: [UInt8] = []

    private mutating func raw(varint value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    private mutating func key(_ field: Int, _ wireType: UInt64) {
        raw(varint: UInt64(field) << 3 | wireType)
    }

    /// A varint field (wire type 0).
    mutating func varint(_ field: Int, _ value: UInt64) {
        key(field, 0)
        raw(varint: value)
    }

    /// A `double` field (wire type 1, little-endian).
    mutating func double(_ field: Int, _ value: Double) {
        key(field, 1)
        let bits = value.bitPattern
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8((bits >> UInt64(shift)) & 0xFF)) }
    }

    /// A `float` field (wire type 5, little-endian).
    mutating func float(_ field: Int, _ value: Float) {
        key(field, 5)
        let bits = value.bitPattern
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8((bits >> UInt32(shift)) & 0xFF)) }
    }

    /// A length-delimited field (wire type 2): a string, bytes or an embedded message.
    mutating func bytes(_ field: Int, _ value: [UInt8]) {
        key(field, 2)
        raw(varint: UInt64(value.count))
        bytes += value
    }
}
