/// xoshiro256** 1.0 (Blackman and Vigna, 2018), seeded by four outputs of `SplitMix64`.
///
/// The project's one seedable generator: samplers (Latin hypercube permutations, scramble matrices, digit
/// permutations), the buffers' random reads and evictions, the trainer's initial weights. Outputs are the same on
/// every platform for a given seed, and the state is plain data, so checkpoints keep it.
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable, Hashable, Codable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// Seeds the state with the next four outputs of SplitMix64 started at `seed`, as the authors recommend.
    public init(seed: UInt64) {
        var seeder = SplitMix64(seed: seed)
        s0 = seeder.next()
        s1 = seeder.next()
        s2 = seeder.next()
        s3 = seeder.next()
    }

    /// The next 64 random bits.
    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = Self.rotate(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = Self.rotate(s3, 45)
        return result
    }

    @inline(__always)
    private static func rotate(_ x: UInt64, _ count: UInt64) -> UInt64 {
        (x << count) | (x >> (64 - count))
    }

    /// A uniform double in [0, 1): the top 53 bits of the next output, times 2^-53.
    @inline(__always)
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// A uniform integer in [0, bound), by Lemire's multiply-and-reject method; `bound` must be positive.
    @inline(__always)
    public mutating func next(below bound: UInt64) -> UInt64 {
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold {
                product = next().multipliedFullWidth(by: bound)
            }
        }
        return product.high
    }

    /// A uniform index in 0..<bound (`bound` > 0).
    @inline(__always)
    public mutating func index(below bound: Int) -> Int {
        Int(truncatingIfNeeded: next(below: UInt64(bound)))
    }
}
