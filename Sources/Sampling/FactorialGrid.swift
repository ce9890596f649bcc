/// A full-factorial grid: every combination of levels, the last dimension varying fastest.
///
/// Level i of n sits at i / (n - 1); a single level sits at 0.5. The grid has the product of the level counts
/// as points and no more: drawing past its end throws `SamplingError.gridExhausted`.
struct FactorialGrid: Sendable {
    let levels: [Int]
    /// Number of points of the grid.
    let size: Int

    init(levels: [Int], dimension: Int) throws {
        guard dimension >= 1 else { throw SamplingError.invalidDimension(dimension) }
        guard levels.count == dimension else {
            throw SamplingError.gridLevelsMismatch(levels: levels.count, dimension: dimension)
        }
        var size = 1
        for level in levels {
            let (product, overflow) = size.multipliedReportingOverflow(by: level)
            guard level >= 1, !overflow else { throw SamplingError.invalidGridLevels(levels) }
            size = product
        }
        self.levels = levels
        self.size = size
    }

    /// Writes points `start ..< start + count` into `output`; the caller has checked they exist.
    func fill(_ output: UnsafeMutableBufferPointer<Double>, start: Int, count: Int) {
        let d = levels.count
        var digits = [Int](repeating: 0, count: d)
        var rest = start
        for j in stride(from: d - 1, through: 0, by: -1) {
            digits[j] = rest % levels[j]
            rest /= levels[j]
        }
        let coordinates = levels.map { n in
            n == 1 ? [0.5] : (0..<n).map { Double($0) / Double(n - 1) }
        }
        for i in 0..<count {
            for j in 0..<d { output[i * d + j] = coordinates[j][digits[j]] }
            var j = d - 1
            while j >= 0 {
                digits[j] += 1
                if digits[j] < levels[j] { break }
                digits[j] = 0
                j -= 1
            }
        }
    }
}
