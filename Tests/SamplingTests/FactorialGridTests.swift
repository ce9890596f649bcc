import Testing

@testable import Sampling

struct FactorialGridTests {
    @Test func enumeratesEveryCombinationWithTheLastDimensionFastest() throws {
        var sampler = try UnitSampler(state: SamplerState(kind: .grid(levels: [2, 3, 1]), dimension: 3, seed: 0))
        let points = try sampler.draw(6)
        let expected: [[Double]] = [
            [0, 0, 0.5], [0, 0.5, 0.5], [0, 1, 0.5],
            [1, 0, 0.5], [1, 0.5, 0.5], [1, 1, 0.5],
        ]
        #expect((0..<6).map { Array(points[$0]) } == expected)
    }

    @Test func drawingPastTheEndThrowsAndKeepsTheState() throws {
        var sampler = try UnitSampler(state: SamplerState(kind: .grid(levels: [3, 2]), dimension: 2, seed: 0))
        _ = try sampler.draw(4)
        #expect(throws: SamplingError.gridExhausted(size: 6, drawn: 4, requested: 3)) { try sampler.draw(3) }
        #expect(sampler.state.drawn == 4)
        let last = try sampler.draw(2)
        #expect(Array(last[1]) == [1, 1])
        #expect(throws: SamplingError.gridExhausted(size: 6, drawn: 6, requested: 1)) { try sampler.draw(1) }
    }

    @Test func levelsMustFitTheDimension() {
        #expect(throws: SamplingError.gridLevelsMismatch(levels: 2, dimension: 3)) {
            try UnitSampler(state: SamplerState(kind: .grid(levels: [2, 2]), dimension: 3, seed: 0))
        }
        #expect(throws: SamplingError.invalidGridLevels([2, 0])) {
            try UnitSampler(state: SamplerState(kind: .grid(levels: [2, 0]), dimension: 2, seed: 0))
        }
        #expect(throws: SamplingError.invalidGridLevels([Int.max, 2])) {
            try UnitSampler(state: SamplerState(kind: .grid(levels: [Int.max, 2]), dimension: 2, seed: 0))
        }
    }
}
