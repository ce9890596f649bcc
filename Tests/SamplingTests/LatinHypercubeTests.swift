import Testing

@testable import Sampling

struct LatinHypercubeTests {
    private func isStratified(_ points: PointSet) -> Bool {
        let n = points.count
        return (0..<points.dimension).allSatisfy { j in
            Set((0..<n).map { Int(points.values[$0 * points.dimension + j] * Double(n)) }) == Set(0..<n)
        }
    }

    private func minimumDistance(_ points: PointSet) -> Double {
        points.values.withUnsafeBufferPointer {
            LatinHypercube.minimumSquaredDistance($0, count: points.count, dimension: points.dimension)
        }
    }

    @Test(arguments: [LatinHypercubeOptimization.none, .maximin], [1, 2, 7, 50, 333])
    func everyDrawIsStratified(optimization: LatinHypercubeOptimization, count: Int) throws {
        var sampler = try UnitSampler(
            state: SamplerState(kind: .latinHypercube(optimization: optimization), dimension: 4, seed: 11))
        #expect(isStratified(try sampler.draw(count)))
        #expect(isStratified(try sampler.draw(count + 3)))
    }

    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6, 7, 8])
    func maximinDoesNotWorsenTheMinimumDistance(seed: UInt64) throws {
        var plain = try UnitSampler(
            state: SamplerState(kind: .latinHypercube(optimization: .none), dimension: 3, seed: seed))
        var maximin = try UnitSampler(
            state: SamplerState(kind: .latinHypercube(optimization: .maximin), dimension: 3, seed: seed))
        let p = try plain.draw(60)
        let m = try maximin.draw(60)
        #expect(minimumDistance(m) >= minimumDistance(p))
    }

    @Test func maximinImprovesOnAverage() throws {
        var plainTotal = 0.0
        var maximinTotal = 0.0
        for seed in UInt64(0)..<20 {
            var plain = try UnitSampler(
                state: SamplerState(kind: .latinHypercube(optimization: .none), dimension: 3, seed: seed))
            var maximin = try UnitSampler(
                state: SamplerState(kind: .latinHypercube(optimization: .maximin), dimension: 3, seed: seed))
            plainTotal += minimumDistance(try plain.draw(40)).squareRoot()
            maximinTotal += minimumDistance(try maximin.draw(40)).squareRoot()
        }
        #expect(maximinTotal > 2 * plainTotal)
    }

    @Test func laterDrawsAreNewDesigns() throws {
        var sampler = try UnitSampler(
            state: SamplerState(kind: .latinHypercube(optimization: .none), dimension: 2, seed: 4))
        let first = try sampler.draw(10)
        let second = try sampler.draw(10)
        #expect(first != second)
    }

    @Test func candidateCountShrinksWithSizeAndStopsAtTheLimit() {
        #expect(LatinHypercube.candidateCount(100, dimension: 5) == LatinHypercube.maximumCandidates)
        #expect(LatinHypercube.candidateCount(10_000, dimension: 5) == 4)
        #expect(LatinHypercube.candidateCount(LatinHypercube.maximinLimit + 1, dimension: 5) == 1)
    }
}

extension LatinHypercubeTests {
    @Test(arguments: [UInt64(10), 20, 30])
    func swapsKeepTheDesignALatinHypercubeAndNeverShrinkItsMinimumDistance(seed: UInt64) {
        let n = 25
        let d = 2
        var values = [Double](repeating: 0, count: n * d)
        values.withUnsafeMutableBufferPointer { LatinHypercube.design($0, count: n, dimension: d, seed: seed) }
        var previous = minimumDistance(PointSet(dimension: d, values: values))
        for round in 0..<10 {
            values.withUnsafeMutableBufferPointer {
                LatinHypercube.improveBySwaps($0, count: n, dimension: d, seed: seed &+ UInt64(round), iterations: 7)
            }
            let points = PointSet(dimension: d, values: values)
            #expect(isStratified(points))
            let current = minimumDistance(points)
            #expect(current >= previous)
            previous = current
        }
    }
}
