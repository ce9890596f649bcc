import Randomness

/// Independent uniform points from SplitMix64 used as a counter-based generator.
///
/// With key = `SplitMix64.derive(seed, 0x6D6F6E7465636172)` ("montecar"), coordinate j of point i is
/// u = (mix(key + (i·d + j + 1)·γ) >> 11) · 2^-53, mix and γ being SplitMix64's finaliser and increment: the
/// (i·d + j + 1)-th output of SplitMix64 started at key. Any point is computed directly from its index, so
/// resuming at `drawn` costs nothing, and the points are the same on every machine.
struct MonteCarlo: Sendable {
    let dimension: Int
    private let key: UInt64

    init(dimension: Int, seed: UInt64) {
        self.dimension = dimension
        key = SplitMix64.derive(seed, 0x6D6F_6E74_6563_6172)
    }

    /// Writes points `start ..< start + count` into `output` (row-major, `count * dimension` values).
    func fill(_ output: UnsafeMutableBufferPointer<Double>, start: Int, count: Int) {
        guard let out = output.baseAddress else { return }
        var state = key &+ UInt64(start) &* UInt64(dimension) &* SplitMix64.increment
        for index in 0..<(count * dimension) {
            state &+= SplitMix64.increment
            out[index] = Double(SplitMix64.mix(state) >> 11) * 0x1p-53
        }
    }
}
