/// Per-feature count, mean and sum of squared deviations (Welford), in float64, mergeable across batches and ranks.
///
/// Merging follows Chan, Golub and LeVeque's pairwise update, so the result does not depend on how the samples were
/// split (up to rounding), and merging the same list in the same order gives the same bits on every rank.
public struct FeatureStatistics: Sendable, Hashable, Codable {
    /// Samples accumulated.
    public private(set) var count: Int
    /// Mean of each feature.
    public private(set) var mean: [Double]
    /// Sum of squared deviations from the mean of each feature.
    public private(set) var squaredDeviations: [Double]

    /// Empty statistics over `features` features.
    public init(features: Int) {
        count = 0
        mean = Array(repeating: 0, count: features)
        squaredDeviations = Array(repeating: 0, count: features)
    }

    /// Statistics with the given values (for example received from another rank).
    public init(count: Int, mean: [Double], squaredDeviations: [Double]) {
        self.count = count
        self.mean = mean
        self.squaredDeviations = squaredDeviations
    }

    /// The number of features.
    public var features: Int { mean.count }

    /// Population variance of each feature (zero before two samples).
    public var variance: [Double] {
        count > 1 ? squaredDeviations.map { $0 / Double(count) } : Array(repeating: 0, count: features)
    }

    /// Statistics of a batch whose rows are `inputs` (`rows × inputWidth`) beside `outputs` (`rows × outputWidth`),
    /// computed in two passes (mean, then deviations) for accuracy.
    public static func ofBatch(
        inputs: UnsafePointer<Float>, inputWidth: Int, outputs: UnsafePointer<Float>, outputWidth: Int, rows: Int
    ) -> FeatureStatistics {
        var result = FeatureStatistics(features: inputWidth + outputWidth)
        guard rows > 0 else { return result }
        result.count = rows
        result.mean.withUnsafeMutableBufferPointer { mean in
            result.squaredDeviations.withUnsafeMutableBufferPointer { deviations in
                func accumulate(_ source: UnsafePointer<Float>, width: Int, offset: Int) {
                    for row in 0..<rows {
                        let values = source + row * width
                        for j in 0..<width { mean[offset + j] += Double(values[j]) }
                    }
                    for j in 0..<width { mean[offset + j] /= Double(rows) }
                    for row in 0..<rows {
                        let values = source + row * width
                        for j in 0..<width {
                            let d = Double(values[j]) - mean[offset + j]
                            deviations[offset + j] += d * d
                        }
                    }
                }
                accumulate(inputs, width: inputWidth, offset: 0)
                accumulate(outputs, width: outputWidth, offset: inputWidth)
            }
        }
        return result
    }

    /// Adds one sample whose features are `values` (Welford's update).
    public mutating func add(_ values: UnsafeBufferPointer<Float>) {
        precondition(values.count == features, "\(values.count) values for \(features) features")
        count += 1
        let n = Double(count)
        mean.withUnsafeMutableBufferPointer { mean in
            squaredDeviations.withUnsafeMutableBufferPointer { deviations in
                for j in 0..<values.count {
                    let x = Double(values[j])
                    let delta = x - mean[j]
                    mean[j] += delta / n
                    deviations[j] += delta * (x - mean[j])
                }
            }
        }
    }

    /// Adds the samples summarised by `other`.
    public mutating func merge(_ other: FeatureStatistics) {
        guard other.count > 0 else { return }
        guard count > 0 else {
            self = other
            return
        }
        let total = count + other.count
        let weight = Double(other.count) / Double(total)
        let cross = Double(count) * Double(other.count) / Double(total)
        for j in 0..<features {
            let delta = other.mean[j] - mean[j]
            mean[j] += delta * weight
            squaredDeviations[j] += other.squaredDeviations[j] + delta * delta * cross
        }
        count = total
    }
}
