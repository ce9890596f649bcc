import CZeroMQ

/// A CURVE key pair, both keys in Z85 (40 characters).
public struct CurveKeyPair: Sendable, Equatable {
    /// The public key.
    public let publicKey: String
    /// The secret key.
    public let secretKey: String

    /// A fresh random key pair (needs a libzmq with CURVE: `ZMQContext.has("curve")`).
    public static func generate() throws(ZMQError) -> CurveKeyPair {
        var publicKey = [CChar](repeating: 0, count: 41)
        var secretKey = [CChar](repeating: 0, count: 41)
        _ = try zmqCall("zmq_curve_keypair") { zmq_curve_keypair(&publicKey, &secretKey) }
        return CurveKeyPair(
            publicKey: String(decoding: publicKey.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self),
            secretKey: String(decoding: secretKey.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
}
