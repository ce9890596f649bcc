/// SplitMix64 (Steele, Lea and Flood, 2014), the portable generator under every random choice of this module.
///
/// The state advances by the golden-ratio increment γ = 0x9E3779B97F4A7C15 and each output is `mix(state)`.
/// Because the k-th output (k = 1, 2, ...) is `mix(seed + k·γ)`, the generator is counter-based: any output
/// can be computed directly, which is what makes Monte Carlo resumption O(1).
public struct SplitMix64: Sendable, Hashable, Codable {
    /// The increment γ = 2^64 / φ, rounded to odd.
    public static let increment: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// The generator's state.
    public var state: UInt64

    /// Starts the stream at `seed`.
    public init(seed: UInt64) {
        state = seed
    }

    /// SplitMix64's finaliser (Stafford's variant 13 of the MurmurHash3 mixer), a bijection of `UInt64`.
    @inline(__always)
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A seed for a sub-stream, derived from a parent seed and up to two labels.
    public static func derive(_ seed: UInt64, _ label: UInt64, _ index: UInt64 = 0) -> UInt64 {
        mix(mix(mix(seed ^ 0x6D65_6C69_7373_6121) &+ label &* increment) &+ index &* increment)
    }

    /// The next output.
    @inline(__always)
    public mutating func next() -> UInt64 {
        state &+= Self.increment
        return Self.mix(state)
    }
}
