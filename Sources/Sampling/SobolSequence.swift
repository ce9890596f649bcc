import Randomness

/// The Sobol sequence with Joe–Kuo direction numbers, in Gray-code order, optionally scrambled.
///
/// Points are 64-bit integers per coordinate (the fraction's first 64 binary digits); a double keeps the top 53.
/// Unscrambled, point i is the XOR of the direction numbers selected by the bits of gray(i) = i ^ (i >> 1), the
/// same as scipy's `Sobol(d, scramble=False)` (which keeps 30 bits: the direction numbers m_k / 2^k are exact in
/// both, so the first 2^30 points agree exactly). Consecutive points differ by one direction number, which makes
/// a draw one XOR per coordinate, and any index can be reached directly, which makes resumption O(d·64).
///
/// Scrambles:
/// - `linearMatrix`: for each dimension a random lower-triangular binary matrix with unit diagonal multiplies the
///   digit vector of every direction number (so of every point, the map being linear), then a random 64-bit
///   digital shift is XORed in. Nets stay nets.
/// - `owen`: the first 32 digits go through a hash-based nested uniform scramble (Laine–Karras, with Vegdahl's
///   constants as in Burley 2020): each digit is flipped by a function of the digits before it only. The 32
///   digits after it are random bits hashed from the scrambled prefix, as an infinitely deep Owen scramble would
///   give. Nets stay nets.
struct SobolSequence: Sendable {
    /// Number of direction numbers per dimension (one per bit of a 64-bit index).
    static let bits = 64
    /// How many dimensions the embedded table supports.
    static let maximumDimension = SobolDirectionNumbers.dimensions

    let dimension: Int
    let scramble: SobolScramble
    /// `directions[k * dimension + j]`: direction number k of dimension j, already scrambled for `linearMatrix`.
    private let directions: [UInt64]
    /// Digital shift per dimension (zero unless `linearMatrix`).
    private let shift: [UInt64]
    /// Owen scramble seed per dimension (unused unless `owen`).
    private let owenSeeds: [UInt32]

    init(dimension: Int, scramble: SobolScramble, seed: UInt64) throws {
        guard dimension >= 1 else { throw SamplingError.invalidDimension(dimension) }
        guard dimension <= Self.maximumDimension else {
            throw SamplingError.tooManyDimensions(
                sampler: "sobol", dimension: dimension, maximum: Self.maximumDimension)
        }
        self.dimension = dimension
        self.scramble = scramble
        var directions = [UInt64](repeating: 0, count: Self.bits * dimension)
        for j in 0..<dimension {
            let column = Self.directionNumbers(dimension: j)
            for k in 0..<Self.bits { directions[k * dimension + j] = column[k] }
        }
        var shift = [UInt64](repeating: 0, count: dimension)
        var owenSeeds = [UInt32](repeating: 0, count: dimension)
        switch scramble {
        case .none:
            break
        case .linearMatrix:
            var rng = Xoshiro256StarStar(seed: SplitMix64.derive(seed, 0x736F_626F_6C6C_6D73))
            for j in 0..<dimension {
                // Row b of the matrix gives output bit b: its own bit, plus random bits among the more
                // significant ones (earlier digits), which makes it lower triangular in digit order.
                var rows = [UInt64](repeating: 0, count: Self.bits)
                for b in 0..<Self.bits {
                    let earlier: UInt64 = b == 63 ? 0 : ~((UInt64(1) << UInt64(b + 1)) &- 1)
                    rows[b] = (UInt64(1) << UInt64(b)) | (rng.next() & earlier)
                }
                for k in 0..<Self.bits {
                    let v = directions[k * dimension + j]
                    var scrambled: UInt64 = 0
                    for b in 0..<Self.bits where (rows[b] & v).nonzeroBitCount & 1 == 1 {
                        scrambled |= UInt64(1) << UInt64(b)
                    }
                    directions[k * dimension + j] = scrambled
                }
                shift[j] = rng.next()
            }
        case .owen:
            var rng = Xoshiro256StarStar(seed: SplitMix64.derive(seed, 0x736F_626F_6C6F_776E))
            for j in 0..<dimension { owenSeeds[j] = UInt32(truncatingIfNeeded: rng.next() >> 32) }
        }
        self.directions = directions
        self.shift = shift
        self.owenSeeds = owenSeeds
    }

    /// Writes points `start ..< start + count` into `output` (row-major, `count * dimension` values).
    func fill(_ output: UnsafeMutableBufferPointer<Double>, start: Int, count: Int) {
        guard count > 0, let base = output.baseAddress else { return }
        let d = dimension
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: d) { stateBuffer in
            guard let state = stateBuffer.baseAddress else { return }
            directions.withUnsafeBufferPointer { directionBuffer in
                guard let v = directionBuffer.baseAddress else { return }
                let index = UInt64(start)
                let gray = index ^ (index >> 1)
                for j in 0..<d {
                    var x = shift[j]
                    var bits = gray
                    var k = 0
                    while bits != 0 {
                        if bits & 1 == 1 { x ^= v[k * d + j] }
                        bits >>= 1
                        k += 1
                    }
                    state[j] = x
                }
                var row = base
                var i = index
                switch scramble {
                case .none, .linearMatrix:
                    for _ in 0..<count {
                        for j in 0..<d { row[j] = Double(state[j] >> 11) * 0x1p-53 }
                        row += d
                        i &+= 1
                        let column = v + i.trailingZeroBitCount * d
                        for j in 0..<d { state[j] ^= column[j] }
                    }
                case .owen:
                    owenSeeds.withUnsafeBufferPointer { seeds in
                        for _ in 0..<count {
                            for j in 0..<d { row[j] = Self.owenScrambled(state[j], seed: seeds[j]) }
                            row += d
                            i &+= 1
                            let column = v + i.trailingZeroBitCount * d
                            for j in 0..<d { state[j] ^= column[j] }
                        }
                    }
                }
            }
        }
    }

    /// Owen-scrambles the top 32 digits of `x` and appends 32 random digits determined by the scrambled prefix.
    @inline(__always)
    static func owenScrambled(_ x: UInt64, seed: UInt32) -> Double {
        let top = UInt32(truncatingIfNeeded: x >> 32)
        var r = top.reversedBits
        r ^= r &* 0x3D20_ADEA
        r &+= seed
        r &*= (seed >> 16) | 1
        r ^= r &* 0x0552_6C56
        r ^= r &* 0x53A2_2864
        let prefix = UInt64(r.reversedBits)
        let low = SplitMix64.mix(prefix ^ (UInt64(seed) << 32)) >> 32
        return Double(((prefix << 32) | low) >> 11) * 0x1p-53
    }

    /// The 64 direction numbers of dimension `j` (0-based), each scaled to the top of a 64-bit word.
    static func directionNumbers(dimension j: Int) -> [UInt64] {
        var m = [UInt64](repeating: 1, count: bits)
        if j > 0 {
            let entry = SobolTable.shared.entry(j)
            let poly = entry.poly
            let degree = (64 - poly.leadingZeroBitCount) - 1
            for k in 0..<degree { m[k] = entry.initial[k] }
            for k in degree..<bits {
                var value = m[k - degree]
                var power: UInt64 = 1
                for l in 0..<degree {
                    power <<= 1
                    if (poly >> UInt64(degree - 1 - l)) & 1 == 1 { value ^= power &* m[k - l - 1] }
                }
                m[k] = value
            }
        }
        return (0..<bits).map { k in m[k] << UInt64(bits - 1 - k) }
    }
}

extension UInt32 {
    /// The bits in reverse order.
    @inline(__always)
    fileprivate var reversedBits: UInt32 {
        var x = self
        x = ((x >> 1) & 0x5555_5555) | ((x & 0x5555_5555) << 1)
        x = ((x >> 2) & 0x3333_3333) | ((x & 0x3333_3333) << 2)
        x = ((x >> 4) & 0x0F0F_0F0F) | ((x & 0x0F0F_0F0F) << 4)
        x = ((x >> 8) & 0x00FF_00FF) | ((x & 0x00FF_00FF) << 8)
        return (x >> 16) | (x << 16)
    }
}
