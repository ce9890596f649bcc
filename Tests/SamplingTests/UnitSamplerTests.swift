import Foundation
import Testing

@testable import Sampling

/// Every kind, for tests that apply to all of them.
let allKinds: [SamplerKind] = [
    .monteCarlo,
    .latinHypercube(optimization: .none),
    .latinHypercube(optimization: .maximin),
    .halton(scrambled: false),
    .halton(scrambled: true),
    .sobol(scramble: .none),
    .sobol(scramble: .linearMatrix),
    .sobol(scramble: .owen),
    .grid(levels: [4, 3, 5]),
]

/// Kinds whose points depend on the seed.
let randomKinds: [SamplerKind] = [
    .monteCarlo,
    .latinHypercube(optimization: .none),
    .latinHypercube(optimization: .maximin),
    .halton(scrambled: true),
    .sobol(scramble: .linearMatrix),
    .sobol(scramble: .owen),
]

struct UnitSamplerTests {
    private func sampler(_ kind: SamplerKind, seed: UInt64 = 42, drawn: Int = 0) throws -> UnitSampler {
        try UnitSampler(state: SamplerState(kind: kind, dimension: 3, seed: seed, drawn: drawn))
    }

    @Test(arguments: allKinds)
    func sameSeedGivesSamePoints(kind: SamplerKind) throws {
        var a = try sampler(kind)
        var b = try sampler(kind)
        let points = try a.draw(40)
        #expect(points == (try b.draw(40)))
        #expect(points.count == 40)
        #expect(points.values.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    @Test(arguments: randomKinds)
    func differentSeedsGiveDifferentPoints(kind: SamplerKind) throws {
        var a = try sampler(kind, seed: 1)
        var b = try sampler(kind, seed: 2)
        let first = try a.draw(32)
        let second = try b.draw(32)
        let differing = zip(first.values, second.values).filter { $0 != $1 }.count
        #expect(differing > first.values.count / 2)
    }

    @Test(arguments: allKinds)
    func resumingFromTheStateContinuesTheDraw(kind: SamplerKind) throws {
        var original = try sampler(kind)
        _ = try original.draw(17)
        let encoded = try JSONEncoder().encode(original.state)
        let decoded = try JSONDecoder().decode(SamplerState.self, from: encoded)
        #expect(decoded == original.state)
        #expect(decoded.drawn == 17)
        var resumed = try UnitSampler(state: decoded)
        let next = try original.draw(23)
        #expect(next == (try resumed.draw(23)))
        #expect(original.state == resumed.state)
        #expect(original.state.drawn == 40)
    }

    @Test func stateRoundTripsThroughJSONWithALargeSeed() throws {
        let state = SamplerState(kind: .grid(levels: [2, 9]), dimension: 2, seed: .max - 12345, drawn: 5)
        let decoded = try JSONDecoder().decode(SamplerState.self, from: try JSONEncoder().encode(state))
        #expect(decoded == state)
    }

    @Test(
        arguments: [SamplerKind.monteCarlo, .halton(scrambled: false), .halton(scrambled: true)]
            + [SobolScramble.none, .linearMatrix, .owen].map { SamplerKind.sobol(scramble: $0) })
    func sequencesDoNotDependOnHowTheyAreCutIntoDraws(kind: SamplerKind) throws {
        var whole = try sampler(kind)
        var pieces = try sampler(kind)
        let all = try whole.draw(5000)
        var values: [Double] = []
        for count in [1, 0, 6, 100, 4893] { values += try pieces.draw(count).values }
        #expect(values == all.values)
    }

    @Test(
        arguments: [SamplerKind.halton(scrambled: true)]
            + [SobolScramble.linearMatrix, .owen].map { SamplerKind.sobol(scramble: $0) })
    func scrambledPointsStayInsideTheHalfOpenCube(kind: SamplerKind) throws {
        var s = try UnitSampler(state: SamplerState(kind: kind, dimension: 8, seed: 99))
        let points = try s.draw(4096)
        #expect(points.values.allSatisfy { $0 >= 0 && $0 < 1 })
    }

    @Test(arguments: [SobolScramble.none, .linearMatrix, .owen], [UInt64(1), 2, 3])
    func sobolBlocksAreBalancedInEveryDimension(scramble: SobolScramble, seed: UInt64) throws {
        // Points [b·2^k, (b+1)·2^k) put exactly one point in each of the 2^k equal intervals of every dimension.
        let d = 12
        for k in [4, 10] {
            let n = 1 << k
            var s = try UnitSampler(state: SamplerState(kind: .sobol(scramble: scramble), dimension: d, seed: seed))
            for block in 0..<2 {
                let points = try s.draw(n)
                for j in 0..<d {
                    let cells = Set((0..<n).map { Int(points.values[$0 * d + j] * Double(n)) })
                    #expect(cells.count == n, "dimension \(j), block \(block) of \(n) points")
                }
            }
        }
    }

    @Test func sobolTwoDimensionalNetIsBalanced() throws {
        // A (0, m, 2)-net: 2^m points, one in each of the 2^m boxes of every shape 2^-a by 2^-(m-a).
        for scramble in [SobolScramble.none, .linearMatrix, .owen] {
            var s = try UnitSampler(state: SamplerState(kind: .sobol(scramble: scramble), dimension: 2, seed: 5))
            let points = try s.draw(256)
            for a in 0...8 {
                let boxes = Set(
                    (0..<256).map { i in
                        let x = Int(points.values[2 * i] * Double(1 << a))
                        let y = Int(points.values[2 * i + 1] * Double(1 << (8 - a)))
                        return x << 8 | y
                    })
                #expect(boxes.count == 256, "\(scramble), boxes of 2^-\(a) by 2^-\(8 - a)")
            }
        }
    }

    @Test func scramblesChangeTheSobolPoints() throws {
        var plain = try sampler(.sobol(scramble: .none))
        var matrix = try sampler(.sobol(scramble: .linearMatrix))
        var owen = try sampler(.sobol(scramble: .owen))
        let p = try plain.draw(16)
        let m = try matrix.draw(16)
        let o = try owen.draw(16)
        #expect(p != m && p != o && m != o)
        #expect(m.values.first != 0)
    }

    @Test func monteCarloIsRoughlyUniform() throws {
        var s = try UnitSampler(state: SamplerState(kind: .monteCarlo, dimension: 4, seed: 2024))
        let points = try s.draw(25_000)
        let mean = points.values.reduce(0, +) / Double(points.values.count)
        #expect(abs(mean - 0.5) < 0.005)
        var histogram = [Int](repeating: 0, count: 10)
        for value in points.values { histogram[min(Int(value * 10), 9)] += 1 }
        #expect(histogram.allSatisfy { abs($0 - 10_000) < 400 })
    }

    @Test func negativeCountsAndDimensionsAreRejected() throws {
        var s = try sampler(.monteCarlo)
        #expect(throws: SamplingError.invalidCount(-1)) { try s.draw(-1) }
        #expect(throws: SamplingError.invalidDimension(0)) {
            try UnitSampler(state: SamplerState(kind: .monteCarlo, dimension: 0, seed: 0))
        }
        #expect(throws: SamplingError.invalidCount(-3)) {
            try UnitSampler(state: SamplerState(kind: .monteCarlo, dimension: 2, seed: 0, drawn: -3))
        }
        #expect(try s.draw(0).count == 0)
    }
}
