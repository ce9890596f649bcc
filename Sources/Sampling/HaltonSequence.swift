import Foundation
import Randomness

/// The Halton sequence: coordinate j of point i is the radical inverse of i in the j-th prime base.
///
/// Point 0 is the origin, as in scipy's `Halton(d, scramble=False)`, whose points this sequence reproduces.
/// Scrambled, digit position k of base b goes through its own random permutation of {0, ..., b-1} (one per
/// dimension and digit position, as scipy does), over enough digit positions to fill a double; the points
/// then differ from scipy's, whose permutations come from numpy's generator.
///
/// A draw splits each index into its low digits (up to 4096 combinations), looked up in a table of radical
/// inverses built for the draw when the draw is large enough, and its high digits, recomputed only when they
/// change; a coordinate is then one table read and one addition.
struct HaltonSequence: Sendable {
    /// Largest table of low-digit radical inverses built per dimension and draw.
    private static let tableLimit = 4096

    let dimension: Int
    let bases: [Int]
    /// Digit positions per dimension (whole-double precision), or nil when unscrambled.
    private let permutations: [[[UInt16]]]?

    init(dimension: Int, scrambled: Bool, seed: UInt64) throws {
        guard dimension >= 1 else { throw SamplingError.invalidDimension(dimension) }
        guard dimension <= 6542 else {
            // Bases stay below 2^16 so that a digit fits a UInt16.
            throw SamplingError.tooManyDimensions(sampler: "halton", dimension: dimension, maximum: 6542)
        }
        self.dimension = dimension
        bases = Self.primes(count: dimension)
        if scrambled {
            var rng = Xoshiro256StarStar(seed: SplitMix64.derive(seed, 0x6861_6C74_6F6E))
            permutations = bases.map { base in
                let positions = Int((53.0 / log2(Double(base))).rounded(.up))
                return (0..<positions).map { _ in
                    var permutation = (0..<base).map { UInt16($0) }
                    for i in stride(from: base - 1, to: 0, by: -1) {
                        permutation.swapAt(i, Int(rng.next(below: UInt64(i + 1))))
                    }
                    return permutation
                }
            }
        } else {
            permutations = nil
        }
    }

    /// The first `count` primes.
    static func primes(count: Int) -> [Int] {
        var primes: [Int] = []
        primes.reserveCapacity(count)
        var candidate = 2
        while primes.count < count {
            var isPrime = true
            for p in primes {
                if p * p > candidate { break }
                if candidate % p == 0 {
                    isPrime = false
                    break
                }
            }
            if isPrime { primes.append(candidate) }
            candidate += 1
        }
        return primes
    }

    /// The radical inverse of `index` in dimension `j`, from digit position `firstPosition` on (0-based):
    /// Σ_k perm_{first+k}(digit_k(index)) · b^-(first+k+1).
    private func radicalInverse(_ index: Int, dimension j: Int, firstPosition: Int, limit: Int? = nil) -> Double {
        let base = bases[j]
        let inverseBase = 1.0 / Double(base)
        var scale = pow(inverseBase, Double(firstPosition + 1))
        var quotient = index
        var value = 0.0
        if let permutations {
            let positions = permutations[j]
            var position = firstPosition
            while position < (limit ?? positions.count) {
                let digit = quotient % base
                quotient /= base
                value += Double(positions[position][digit]) * scale
                scale *= inverseBase
                position += 1
            }
        } else {
            while quotient > 0 {
                value += Double(quotient % base) * scale
                quotient /= base
                scale *= inverseBase
            }
        }
        return value
    }

    /// Writes points `start ..< start + count` into `output` (row-major, `count * dimension` values).
    func fill(_ output: UnsafeMutableBufferPointer<Double>, start: Int, count: Int) {
        guard count > 0, let out = output.baseAddress else { return }
        let d = dimension
        var table: [Double] = []
        table.reserveCapacity(Self.tableLimit)
        let largestBelowOne = 1.0.nextDown
        for j in 0..<d {
            let base = bases[j]
            // The first `lowDigits` digit positions come from a table (or, for a short draw, are computed the
            // same way), the others are recomputed when they change: the sum does not depend on the draw's size.
            var lowDigits = 1
            var tableSize = base
            while tableSize * base <= Self.tableLimit {
                tableSize *= base
                lowDigits += 1
            }
            table.removeAll(keepingCapacity: true)
            let useTable = count >= tableSize
            if useTable {
                for t in 0..<tableSize {
                    table.append(radicalInverse(t, dimension: j, firstPosition: 0, limit: lowDigits))
                }
            }
            var low = start % tableSize
            var high = start / tableSize
            var highValue = radicalInverse(high, dimension: j, firstPosition: lowDigits)
            let scrambled = permutations != nil
            table.withUnsafeBufferPointer { lows in
                var p = out + j
                for _ in 0..<count {
                    let lowValue =
                        useTable ? lows[low] : radicalInverse(low, dimension: j, firstPosition: 0, limit: lowDigits)
                    let value = lowValue + highValue
                    p.pointee = scrambled ? min(value, largestBelowOne) : value
                    p += d
                    low += 1
                    if low == tableSize {
                        low = 0
                        high += 1
                        highValue = radicalInverse(high, dimension: j, firstPosition: lowDigits)
                    }
                }
            }
        }
    }
}
