import Testing

@testable import Sampling

/// Unscrambled Sobol and Halton points against scipy.stats.qmc.
///
/// The reference files in Fixtures/ were made by Fixtures/make_reference.py with scipy 1.17.1 and numpy 2.4.6:
/// `Sobol(21, scramble=False).random(256)`, `Sobol(5, scramble=False).random(1024)`, columns 1091...1110 of
/// `Sobol(1111, scramble=False).random(128)` and `Halton(10, scramble=False).random(256)` and rows 8000..<8200 of `Halton(3, scramble=False).random(8200)`, written as CSV with
/// Python's `repr` of each float. Points must agree to 1e-12.
struct ReferencePointTests {
    private func expectClose(_ points: PointSet, _ reference: [[Double]], columns: Range<Int>? = nil) {
        #expect(points.count == reference.count)
        for (i, row) in reference.enumerated() where i < points.count {
            let point = Array(points[i])
            let mine = columns.map { Array(point[$0]) } ?? point
            #expect(mine.count == row.count)
            for (a, b) in zip(mine, row) where !(abs(a - b) <= 1e-12) {
                Issue.record("point \(i): \(mine) differs from scipy's \(row)")
                return
            }
        }
    }

    @Test(arguments: [(21, 256, "sobol_d21_n256.csv"), (5, 1024, "sobol_d5_n1024.csv")])
    func sobolMatchesScipy(dimension: Int, count: Int, file: String) throws {
        var sampler = try UnitSampler(state: SamplerState(kind: .sobol(scramble: .none), dimension: dimension, seed: 7))
        expectClose(try sampler.draw(count), try Fixture.numbers(file))
    }

    @Test func sobolMatchesScipyInTheLastEmbeddedDimensions() throws {
        var sampler = try UnitSampler(state: SamplerState(kind: .sobol(scramble: .none), dimension: 1111, seed: 0))
        expectClose(try sampler.draw(128), try Fixture.numbers("sobol_d1111_n128_tail.csv"), columns: 1091..<1111)
    }

    @Test func sobolResumedMidwayMatchesScipy() throws {
        let reference = try Fixture.numbers("sobol_d5_n1024.csv")
        var sampler = try UnitSampler(
            state: SamplerState(kind: .sobol(scramble: .none), dimension: 5, seed: 0, drawn: 700))
        expectClose(try sampler.draw(324), Array(reference[700...]))
    }

    @Test func haltonMatchesScipy() throws {
        let reference = try Fixture.numbers("halton_d10_n256.csv")
        var sampler = try UnitSampler(state: SamplerState(kind: .halton(scrambled: false), dimension: 10, seed: 3))
        // Several draws, so that the table of low digits is rebuilt at different offsets.
        let first = try sampler.draw(1)
        let second = try sampler.draw(100)
        let third = try sampler.draw(155)
        expectClose(PointSet(dimension: 10, values: first.values + second.values + third.values), reference)
        #expect(Array(first[0]) == Array(repeating: 0, count: 10))
    }

    @Test func haltonMatchesScipyInALargeDraw() throws {
        // Large enough for the table of low digits; the reference is rows 8000..<8200.
        var sampler = try UnitSampler(state: SamplerState(kind: .halton(scrambled: false), dimension: 3, seed: 3))
        let points = try sampler.draw(8200)
        let tail = PointSet(dimension: 3, values: Array(points.values[(8000 * 3)...]))
        expectClose(tail, try Fixture.numbers("halton_d3_n8200_tail.csv"))
    }

    @Test func sobolRefusesMoreDimensionsThanTheTable() {
        #expect(throws: SamplingError.tooManyDimensions(sampler: "sobol", dimension: 1112, maximum: 1111)) {
            try UnitSampler(state: SamplerState(kind: .sobol(scramble: .none), dimension: 1112, seed: 0))
        }
    }
}
