import Randomness

/// Latin hypercube designs: each draw of n points puts exactly one point in each of the n equal strata of every
/// dimension.
///
/// A design of n points in d dimensions from a seed: a `Xoshiro256StarStar` seeded with it, then for each
/// dimension in turn a Fisher–Yates shuffle of the strata 0..<n (from the last position down, Lemire's bounded
/// integers) followed by n uniform offsets: coordinate j of point i is (stratum_i + u_i) / n.
///
/// Maximin draws `candidateCount(n, d)` designs (candidate 0 is the plain design of the same seed) and keeps the
/// one whose smallest pairwise Euclidean distance is largest (the first on ties). Scoring a candidate costs
/// O(n²·d) and stops early once it cannot win; the number of candidates shrinks with n so that this stays around
/// 10^9 operations. It then tries `swapIterations(n, d)` coordinate swaps (see `improveBySwaps`), each kept only
/// if the minimum distance does not shrink, so maximin is never worse than the plain design of the same seed.
/// Above `maximinLimit` points the plain design is returned. Everything is deterministic for the seed; a draw of
/// 10^4 points in 5 dimensions takes a few seconds, 10^3 points under one.
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
        if candidates > 1 {
            keepBestCandidate(output, count: count, candidates: candidates, seed: seed)
        }
        if count >= 3 {
            Self.improveBySwaps(
                output, count: count, dimension: dimension, seed: SplitMix64.derive(seed, 0x7377_6170),
                iterations: Self.swapIterations(count, dimension: dimension))
        }
    }

    /// How many swaps maximin tries on a draw of `count` points: 20 per point, fewer when that would exceed
    /// about 2·10^8 distance terms.
    static func swapIterations(_ count: Int, dimension: Int) -> Int {
        guard count >= 3, count <= maximinLimit else { return 0 }
        return min(20 * count, max(100, Int(2e8 / (Double(count) * Double(dimension)))))
    }

    /// Replaces `output` (candidate 0) by the candidate with the largest minimum distance.
    private func keepBestCandidate(
        _ output: UnsafeMutableBufferPointer<Double>, count: Int, candidates: Int, seed: UInt64
    ) {
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

    /// Improves a design by swaps that keep it a Latin hypercube: take a point of the closest pair, exchange one
    /// of its coordinates (random dimension) with the same coordinate of a random third point, and keep the
    /// exchange if the minimum distance did not shrink. Each point's nearest neighbour is maintained, so a swap
    /// costs O(n·d) plus a full rescan for the few points whose nearest neighbour moved away.
    static func improveBySwaps(
        _ output: UnsafeMutableBufferPointer<Double>, count n: Int, dimension d: Int, seed: UInt64, iterations: Int
    ) {
        guard n >= 3, iterations > 0, let x = output.baseAddress else { return }
        func distance(_ p: Int, _ q: Int) -> Double {
            var sum = 0.0
            for k in 0..<d {
                let delta = x[p * d + k] - x[q * d + k]
                sum += delta * delta
            }
            return sum
        }
        var nearest = [Double](repeating: .infinity, count: n)
        var neighbour = [Int](repeating: 0, count: n)
        func rescan(_ p: Int) {
            nearest[p] = .infinity
            for q in 0..<n where q != p {
                let e = distance(p, q)
                if e < nearest[p] {
                    nearest[p] = e
                    neighbour[p] = q
                }
            }
        }
        for p in 0..<n { rescan(p) }
        var rng = Xoshiro256StarStar(seed: seed)
        var savedNearest = nearest
        var savedNeighbour = neighbour
        var stale: [Int] = []
        for _ in 0..<iterations {
            var a = 0
            for p in 1..<n where nearest[p] < nearest[a] { a = p }
            let smallest = nearest[a]
            if rng.next() & 1 == 1 { a = neighbour[a] }
            let b = neighbour[a]
            var c = Int(rng.next(below: UInt64(n - 2)))
            if c >= min(a, b) { c += 1 }
            if c >= max(a, b) { c += 1 }
            let k = Int(rng.next(below: UInt64(d)))
            savedNearest.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: nearest) }
            savedNeighbour.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: neighbour) }
            output.swapAt(a * d + k, c * d + k)
            stale.removeAll(keepingCapacity: true)
            let ac = distance(a, c)
            nearest[a] = ac
            neighbour[a] = c
            nearest[c] = ac
            neighbour[c] = a
            for p in 0..<n where p != a && p != c {
                let toA = distance(p, a)
                let toC = distance(p, c)
                if toA < nearest[a] {
                    nearest[a] = toA
                    neighbour[a] = p
                }
                if toC < nearest[c] {
                    nearest[c] = toC
                    neighbour[c] = p
                }
                if neighbour[p] == a || neighbour[p] == c {
                    stale.append(p)
                } else if toA < nearest[p] || toC < nearest[p] {
                    nearest[p] = min(toA, toC)
                    neighbour[p] = toA <= toC ? a : c
                }
            }
            for p in stale { rescan(p) }
            if nearest.min() ?? .infinity < smallest {
                output.swapAt(a * d + k, c * d + k)
                nearest.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: savedNearest) }
                neighbour.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: savedNeighbour) }
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
