/// The normalisation of the network's inputs and outputs: `(x − mean) / std` per element.
///
/// The statistics are computed online (``FeatureStatistics``, Welford/Chan in float64) from the training batches
/// until ``freezeAfterSamples`` samples have been seen (all ranks together), then frozen for the rest of training.
/// Freezing keeps the regression target stationary for the optimiser and gives the exported model fixed values; the
/// warm-up should cover many simulations (a buffer watermark's worth of samples does). A feature whose standard
/// deviation is below 1e-6 · max(1, |mean|) (a boundary held constant, for instance) gets a std of 1.
public struct Normalizer: Sendable, Hashable, Codable {
    /// Input width (parameters plus time step).
    public let inputCount: Int
    /// Output width.
    public let outputCount: Int
    /// Samples after which the statistics freeze; 0 means frozen from the start.
    public let freezeAfterSamples: Int
    /// Everything accumulated so far (inputs first, then outputs).
    public private(set) var statistics: FeatureStatistics
    /// Whether the values no longer change.
    public private(set) var isFrozen: Bool
    /// Mean of each input.
    public private(set) var inputMean: [Float]
    /// Effective standard deviation of each input (never zero).
    public private(set) var inputStd: [Float]
    /// Mean of each output.
    public private(set) var outputMean: [Float]
    /// Effective standard deviation of each output (never zero).
    public private(set) var outputStd: [Float]

    /// Identity normalisation that learns its values from the first `freezeAfterSamples` samples.
    public init(inputCount: Int, outputCount: Int, freezeAfterSamples: Int) {
        self.inputCount = inputCount
        self.outputCount = outputCount
        self.freezeAfterSamples = freezeAfterSamples
        statistics = FeatureStatistics(features: inputCount + outputCount)
        isFrozen = freezeAfterSamples <= 0
        inputMean = Array(repeating: 0, count: inputCount)
        inputStd = Array(repeating: 1, count: inputCount)
        outputMean = Array(repeating: 0, count: outputCount)
        outputStd = Array(repeating: 1, count: outputCount)
    }

    /// A frozen normalisation with the given values (a std of zero becomes 1).
    public init(inputMean: [Float], inputStd: [Float], outputMean: [Float], outputStd: [Float]) {
        self.init(inputCount: inputMean.count, outputCount: outputMean.count, freezeAfterSamples: 0)
        self.inputMean = inputMean
        self.inputStd = inputStd.map { $0 > 0 ? $0 : 1 }
        self.outputMean = outputMean
        self.outputStd = outputStd.map { $0 > 0 ? $0 : 1 }
    }

    /// Adds a batch's statistics (already merged across ranks) unless frozen; freezes once enough samples were seen.
    /// Returns whether the values changed.
    @discardableResult
    public mutating func absorb(_ batch: FeatureStatistics) -> Bool {
        guard !isFrozen, batch.count > 0 else { return false }
        statistics.merge(batch)
        let variance = statistics.variance
        func effectiveStd(_ j: Int) -> Float {
            let std = variance[j].squareRoot()
            return std >= 1e-6 * max(1, abs(statistics.mean[j])) ? Float(std) : 1
        }
        for j in 0..<inputCount {
            inputMean[j] = Float(statistics.mean[j])
            inputStd[j] = effectiveStd(j)
        }
        for j in 0..<outputCount {
            outputMean[j] = Float(statistics.mean[inputCount + j])
            outputStd[j] = effectiveStd(inputCount + j)
        }
        if statistics.count >= freezeAfterSamples { isFrozen = true }
        return true
    }
}
