/// Latin hypercube designs: each draw of n points puts exactly one point in each of the n equal strata of every
/// dimension.
///
/// A design of n points in d dimensions from a seed: a `Xoshiro256StarStar` seeded with it, then for each
/// dimension in turn a Fisher–Yates shuffle of the strata 0..<n (from the last position down, Lemire's bounded
/// integers) followed by n uniform offsets: coordinate j of point i is (stratum_i + u_i) / n.
///
/// Maximin draws `candidateCount(n, d)` designs (candidate 0 is the plain design of the same seed) and keeps the
/// one whose smallest pairwise Euclidean distance is largest (the first on ties). Scoring a candidate costs
/// O(n²·d) and stops early once it cannot win; the number of candidates shrinks with n so that a draw stays around
/// 10^9 operations, and above `maximinLimit` points the plain design is returned.
struct LatinHypercube: Sendable {
    /// Largest draw that maximin optimises; larger draws are plain Latin hypercubes.
    static let maximinLimit = 10_000
    /// Most candidates maximin compares.
    static let maximumCandidates = 10

    let dimension: Int
    let optimization: LatinHypercubeOptimization

    /// How many candidate designs maximin compares for a draw of `count` points.
    static func candidateCount(_ count: Int, dimension: Int) -> Int {
        guard count > 2, count <= maximinLimit else { return 1 }
        let pairCost = Double(count) * Double(count) * Double(dimension) / 2
        return max(2, min(maximumCandidates, Int(1e9 / pairCost)))
    }

    /// Writes a design of `count` points for `seed` into `output`.
    func fill(_ output: UnsafeMutableBufferPointer<Double>, count: Int, seed: UInt64) {
        guard count > 0 else { return }
        Self.design(output, count: count, dimension: dimension, seed: SplitMix64.derive(seed, 0))
        guard optimization == .maximin else { return }
        let candidates = Self.candidateCount(count, dimension: dimension)
        guard candidates > 1 else { return }
        var best = Self.minimumSquaredDistance(UnsafeBufferPointer(output), count: count, dimension: dimension)
        var candidate = [Double](repeating: 0, count: count * dimension)
        for c in 1..<candidates {
            candidate.withUnsafeMutableBufferPointer { buffer in
                Self.design(buffer, count: count, dimension: dimension, seed: SplitMix64.derive(seed, UInt64(c)))
                let score = Self.minimumSquaredDistance(
                    UnsafeBufferPointer(buffer), count: count, dimension: dimension, stopBelow: best)
                if score > best {
                    best = score
                    _ = output.update(fromContentsOf: buffer)
                }
            }
        }
    }

    /// A plain design, as described on the type.
    static func design(_ output: UnsafeMutableBufferPointer<Double>, count: Int, dimension: Int, seed: UInt64) {
        guard let out = output.baseAddress else { return }
        var rng = Xoshiro256StarStar(seed: seed)
        let scale = 1.0 / Double(count)
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: count) { strata in
            for j in 0..<dimension {
                for i in 0..<count { strata[i] = UInt32(truncatingIfNeeded: i) }
                var i = count - 1
                while i > 0 {
                    strata.swapAt(i, Int(rng.next(below: UInt64(i + 1))))
                    i -= 1
                }
                var p = out + j
                for i in 0..<count {
                    p.pointee = (Double(strata[i]) + rng.nextUnit()) * scale
                    p += dimension
                }
            }
        }
    }

    /// The smallest squared distance between two points, or a value at most `stopBelow` as soon as one is found
    /// (the caller then knows the design loses).
    static func minimumSquaredDistance(
        _ points: UnsafeBufferPointer<Double>, count: Int, dimension: Int, stopBelow: Double = 0
    ) -> Double {
        guard let base = points.baseAddress else { return .infinity }
        var smallest = Double.infinity
        for a in 0..<count {
            let pa = base + a * dimension
            for b in (a + 1)..<max(a + 1, count) {
                let pb = base + b * dimension
                var sum = 0.0
                for k in 0..<dimension {
                    let delta = pa[k] - pb[k]
                    sum += delta * delta
                }
                if sum < smallest {
                    smallest = sum
                    if smallest <= stopBelow { return smallest }
                }
            }
        }
        return smallest
    }
}
