/// The rule that gives a (simulation, attempt) its session number, so that every training rank can verify a
/// `data` message without asking the rank that served the registration (docs/protocol.md, "Sessions").
///
/// session = SipHash-2-4(k, rest ‖ simulation id as u32 LE ‖ attempt as u32 LE), where the token's bytes
/// (hex-decoded when the token is hex text, as `<study dir>/token` is: 32 bytes) are split into the key k, their first
/// 16 (zero-padded if fewer), and the rest. A result of 0 becomes 1 (a session is never 0). Only who knows the token
/// can compute a session, and each attempt gets its own.
public struct SessionKey: Sendable, Hashable {
    private let k0: UInt64
    private let k1: UInt64
    private let rest: [UInt8]

    /// The key of a study token (its text bytes, as `IngestConfiguration.token` holds them).
    public init(token: [UInt8]) {
        let bytes = Self.hexDecoded(token) ?? token
        let key = Array(bytes.prefix(16)) + [UInt8](repeating: 0, count: max(0, 16 - bytes.count))
        k0 = Self.littleEndian(key, at: 0)
        k1 = Self.littleEndian(key, at: 8)
        rest = Array(bytes.dropFirst(16))
    }

    /// The session of `attempt` of `simulationID`.
    public func session(simulationID: UInt32, attempt: UInt32) -> UInt64 {
        var message = rest
        message.reserveCapacity(rest.count + 8)
        withUnsafeBytes(of: simulationID.littleEndian) { message.append(contentsOf: $0) }
        withUnsafeBytes(of: attempt.littleEndian) { message.append(contentsOf: $0) }
        let value = SipHash.hash(k0: k0, k1: k1, message)
        return value == 0 ? 1 : value
    }

    private static func littleEndian(_ bytes: [UInt8], at start: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[start + $1]) << (8 * UInt64($1)) }
    }

    /// The bytes of an even-length hex text, nil when `text` is not one.
    private static func hexDecoded(_ text: [UInt8]) -> [UInt8]? {
        guard !text.isEmpty, text.count % 2 == 0 else { return nil }
        func nibble(_ character: UInt8) -> UInt8? {
            switch character {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count / 2)
        var index = 0
        while index < text.count {
            guard let high = nibble(text[index]), let low = nibble(text[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }
}

/// SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed 64-bit pseudo-random function.
public enum SipHash {
    /// SipHash-2-4 of `message` under the key (k0, k1) (the key's bytes 0–7 and 8–15, little-endian).
    public static func hash(k0: UInt64, k1: UInt64, _ message: [UInt8]) -> UInt64 {
        var v0: UInt64 = 0x736f_6d65_7073_6575 ^ k0
        var v1: UInt64 = 0x646f_7261_6e64_6f6d ^ k1
        var v2: UInt64 = 0x6c79_6765_6e65_7261 ^ k0
        var v3: UInt64 = 0x7465_6462_7974_6573 ^ k1
        func rotate(_ value: UInt64, _ bits: UInt64) -> UInt64 { value << bits | value >> (64 - bits) }
        func round() {
            v0 &+= v1
            v1 = rotate(v1, 13)
            v1 ^= v0
            v0 = rotate(v0, 32)
            v2 &+= v3
            v3 = rotate(v3, 16)
            v3 ^= v2
            v0 &+= v3
            v3 = rotate(v3, 21)
            v3 ^= v0
            v2 &+= v1
            v1 = rotate(v1, 17)
            v1 ^= v2
            v2 = rotate(v2, 32)
        }
        let whole = message.count / 8 * 8
        var index = 0
        while index < whole {
            let word = (0..<8).reduce(UInt64(0)) { $0 | UInt64(message[index + $1]) << (8 * UInt64($1)) }
            v3 ^= word
            round()
            round()
            v0 ^= word
            index += 8
        }
        var last = UInt64(message.count & 0xff) << 56
        for offset in 0..<(message.count - whole) { last |= UInt64(message[whole + offset]) << (8 * UInt64(offset)) }
        v3 ^= last
        round()
        round()
        v0 ^= last
        v2 ^= 0xff
        round()
        round()
        round()
        round()
        return v0 ^ v1 ^ v2 ^ v3
    }
}
