import Foundation
import Randomness

/// Draws points from a sampler and advances its state.
///
/// Drawing n then m points gives the same points as resuming from the state after n and drawing m: sequences
/// (Monte Carlo, Halton, Sobol, grid) continue where they stopped; a Latin hypercube draw is one design of the
/// requested size whose seed is derived from the state's seed and `drawn`, so a later draw is a new,
/// independent design.
public struct UnitSampler: Sendable {
    private enum Engine: Sendable {
        case monteCarlo(MonteCarlo)
        case latinHypercube(LatinHypercube)
        case halton(HaltonSequence)
        case sobol(SobolSequence)
        case grid(FactorialGrid)
    }

    /// Where the sampler stands; store it to resume later.
    public private(set) var state: SamplerState
    private let engine: Engine

    /// Sets up the sampler described by `state`, ready to draw point number `state.drawn`.
    ///
    /// Throws `SamplingError` when the dimension is not positive or too large for the kind, when `drawn` is
    /// negative, or when grid levels do not fit the dimension.
    public init(state: SamplerState) throws {
        guard state.dimension >= 1 else { throw SamplingError.invalidDimension(state.dimension) }
        guard state.drawn >= 0 else { throw SamplingError.invalidCount(state.drawn) }
        switch state.kind {
        case .monteCarlo:
            engine = .monteCarlo(MonteCarlo(dimension: state.dimension, seed: state.seed))
        case .latinHypercube(let optimization):
            engine = .latinHypercube(LatinHypercube(dimension: state.dimension, optimization: optimization))
        case .halton(let scrambled):
            engine = .halton(try HaltonSequence(dimension: state.dimension, scrambled: scrambled, seed: state.seed))
        case .sobol(let scramble):
            engine = .sobol(try SobolSequence(dimension: state.dimension, scramble: scramble, seed: state.seed))
        case .grid(let levels):
            let grid = try FactorialGrid(levels: levels, dimension: state.dimension)
            guard state.drawn <= grid.size else {
                throw SamplingError.gridExhausted(size: grid.size, drawn: state.drawn, requested: 0)
            }
            engine = .grid(grid)
        }
        self.state = state
    }

    /// Draws the next `count` points and advances `state.drawn` by `count`.
    ///
    /// Throws `SamplingError.invalidCount` for a negative count and `SamplingError.gridExhausted` when a grid
    /// has fewer than `count` points left; the state is then unchanged.
    public mutating func draw(_ count: Int) throws -> PointSet {
        guard count >= 0 else { throw SamplingError.invalidCount(count) }
        let start = state.drawn
        let d = state.dimension
        if case .grid(let grid) = engine, count > grid.size - start {
            throw SamplingError.gridExhausted(size: grid.size, drawn: start, requested: count)
        }
        let (total, overflow) = count.multipliedReportingOverflow(by: d)
        guard !overflow, start <= Int.max - count else { throw SamplingError.invalidCount(count) }
        let values = [Double](unsafeUninitializedCapacity: total) { buffer, initialized in
            Self.adviseHugePages(buffer)
            switch engine {
            case .monteCarlo(let sampler): sampler.fill(buffer, start: start, count: count)
            case .latinHypercube(let sampler):
                sampler.fill(buffer, count: count, seed: SplitMix64.derive(state.seed, 0x6C68_73, UInt64(start)))
            case .halton(let sampler): sampler.fill(buffer, start: start, count: count)
            case .sobol(let sampler): sampler.fill(buffer, start: start, count: count)
            case .grid(let sampler): sampler.fill(buffer, start: start, count: count)
            }
            initialized = total
        }
        state.drawn = start + count
        return PointSet(dimension: d, values: values)
    }

    /// Asks Linux to back a large, untouched buffer with transparent huge pages, as numpy does for its arrays:
    /// otherwise filling 40 MB of fresh memory costs ten thousand page faults, more than drawing the points.
    private static func adviseHugePages(_ buffer: UnsafeMutableBufferPointer<Double>) {
        #if os(Linux)
            let hugePage = 2 << 20
            guard buffer.count * MemoryLayout<Double>.stride >= 4 << 20, let base = buffer.baseAddress else { return }
            let start = (Int(bitPattern: base) + hugePage - 1) & ~(hugePage - 1)
            let end = (Int(bitPattern: base + buffer.count)) & ~(hugePage - 1)
            guard end > start, let pointer = UnsafeMutableRawPointer(bitPattern: start) else { return }
            _ = madvise(pointer, end - start, MADV_HUGEPAGE)
        #endif
    }
}
