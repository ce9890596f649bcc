import Foundation

/// What a validation measures on held-out samples, in the fields' own units and in the trainer's normalised ones
/// (docs/server.md defines each so that an outsider recomputes them from `melissa predict`):
///
/// - ``loss``: the mean over samples and output values of ((ŷ − y) / σ)², σ the normalisation's output std (the
///   training loss's definition);
/// - ``relativeL2``: ‖ŷ − y‖ / ‖y‖, both norms over every value of every held-out sample (all time steps pooled);
/// - ``rmse``: √(mean of (ŷ − y)²) over the same values, in the field's units;
/// - ``maxError`` and ``p99Error``: the largest and the 99th-percentile |ŷ − y| over the same values (the
///   percentile read from a histogram of 40 bins a decade, within 3 %);
/// - ``relativeL2ByStep``: the relative L2 over the samples of each time step;
/// - ``baselineRelativeL2``: the relative L2 of predicting the mean training field for every sample, the score of a
///   model that learnt nothing about the parameters.
public struct ValidationMetrics: Sendable, Hashable, Codable {
    /// Held-out samples evaluated.
    public var samples: Int
    /// Normalised mean squared error.
    public var loss: Double
    /// Relative L2 error, all values pooled.
    public var relativeL2: Double
    /// Root mean squared error in the field's units.
    public var rmse: Double
    /// Largest absolute error.
    public var maxError: Double
    /// 99th percentile of the absolute error.
    public var p99Error: Double
    /// Relative L2 error of the mean training field, when known.
    public var baselineRelativeL2: Double?
    /// Relative L2 error per time step (nil for a step without samples).
    public var relativeL2ByStep: [Double?]

    /// Creates metrics.
    public init(
        samples: Int, loss: Double, relativeL2: Double, rmse: Double, maxError: Double, p99Error: Double,
        baselineRelativeL2: Double?, relativeL2ByStep: [Double?]
    ) {
        self.samples = samples
        self.loss = loss
        self.relativeL2 = relativeL2
        self.rmse = rmse
        self.maxError = maxError
        self.p99Error = p99Error
        self.baselineRelativeL2 = baselineRelativeL2
        self.relativeL2ByStep = relativeL2ByStep
    }
}

/// The sums a validation accumulates, one flat array of float64 so that ranks add theirs with one all-reduce (and
/// the largest error apart, as the bit pattern of a non-negative float, whose integer order is the float order).
public struct ValidationSums: Sendable, Hashable {
    /// Bins per decade of the absolute-error histogram.
    public static let binsPerDecade = 40
    /// Decades the histogram spans: 10⁻¹² … 10¹² (errors outside go to the end bins).
    public static let lowestDecade = -12
    /// The number of bins.
    public static let binCount = 24 * binsPerDecade
    private static let headerCount = 6

    /// The sums: samples, values, Σ(ŷ−y)², Σy², Σ((ŷ−y)/σ)², Σ(mean−y)², then the histogram, then per step Σ(ŷ−y)²
    /// and Σy².
    public var values: [Double]
    /// The largest |ŷ − y|, as the bit pattern of a Float (non-negative).
    public var maxErrorBits: Int32 = 0
    /// Time steps.
    public let timeSteps: Int

    /// Empty sums for samples of `timeSteps` steps.
    public init(timeSteps: Int) {
        self.timeSteps = max(timeSteps, 0)
        values = [Double](repeating: 0, count: Self.headerCount + Self.binCount + 2 * self.timeSteps)
    }

    /// Adds one sample: its `prediction` and `truth` (raw units), its time step, the normalisation's output std
    /// `scale`, and the mean training field `baseline` (nil when unknown).
    public mutating func add(
        prediction: UnsafeBufferPointer<Float>, truth: [Float], timeStep: Int, scale: [Float], baseline: [Float]?
    ) {
        truth.withUnsafeBufferPointer {
            add(prediction: prediction, truth: $0, timeStep: timeStep, scale: scale, baseline: baseline)
        }
    }

    /// Adds one sample whose truth is a sample's values.
    public mutating func add(
        prediction: UnsafeBufferPointer<Float>, truth: FloatValues, timeStep: Int, scale: [Float], baseline: [Float]?
    ) {
        truth.withUnsafeBufferPointer {
            add(prediction: prediction, truth: $0, timeStep: timeStep, scale: scale, baseline: baseline)
        }
    }

    /// Adds one sample whose truth is in memory.
    public mutating func add(
        prediction: UnsafeBufferPointer<Float>, truth: UnsafeBufferPointer<Float>, timeStep: Int, scale: [Float],
        baseline: [Float]?
    ) {
        var squaredError = 0.0
        var squaredTruth = 0.0
        var normalized = 0.0
        var baselineError = 0.0
        var largest: Float = Float(bitPattern: UInt32(maxErrorBits))
        for j in 0..<truth.count {
            let error = prediction[j] - truth[j]
            let e = Double(error)
            squaredError += e * e
            squaredTruth += Double(truth[j]) * Double(truth[j])
            let n = e / Double(scale[j])
            normalized += n * n
            if let baseline {
                let b = Double(baseline[j] - truth[j])
                baselineError += b * b
            }
            let magnitude = abs(error)
            if magnitude > largest { largest = magnitude }
            values[Self.headerCount + Self.bin(of: Double(magnitude))] += 1
        }
        values[0] += 1
        values[1] += Double(truth.count)
        values[2] += squaredError
        values[3] += squaredTruth
        values[4] += normalized
        values[5] += baselineError
        if timeStep >= 0, timeStep < timeSteps {
            values[Self.headerCount + Self.binCount + timeStep] += squaredError
            values[Self.headerCount + Self.binCount + timeSteps + timeStep] += squaredTruth
        }
        maxErrorBits = Int32(bitPattern: largest.bitPattern)
    }

    static func bin(of magnitude: Double) -> Int {
        guard magnitude > 0 else { return 0 }
        let position = (log10(magnitude) - Double(lowestDecade)) * Double(binsPerDecade)
        return min(max(Int(position.rounded(.down)), 0), binCount - 1)
    }

    /// The metrics of the sums (nil without a sample); `hasBaseline` says whether a baseline was given.
    public func metrics(hasBaseline: Bool) -> ValidationMetrics? {
        let samples = values[0]
        let count = values[1]
        guard samples > 0, count > 0 else { return nil }
        let truthNorm = values[3]
        func ratio(_ error: Double, _ norm: Double) -> Double { norm > 0 ? (error / norm).squareRoot() : 0 }
        // The 99th percentile: the geometric middle of the bin where the cumulative count reaches 99 %.
        var cumulative = 0.0
        var p99 = 0.0
        for bin in 0..<Self.binCount {
            cumulative += values[Self.headerCount + bin]
            if cumulative >= 0.99 * count {
                p99 =
                    bin == 0 ? 0 : pow(10, Double(Self.lowestDecade) + (Double(bin) + 0.5) / Double(Self.binsPerDecade))
                break
            }
        }
        let largest = Double(Float(bitPattern: UInt32(bitPattern: maxErrorBits)))
        let byStep: [Double?] = (0..<timeSteps).map { step in
            let norm = values[Self.headerCount + Self.binCount + timeSteps + step]
            return norm > 0 ? ratio(values[Self.headerCount + Self.binCount + step], norm) : nil
        }
        return ValidationMetrics(
            samples: Int(samples), loss: values[4] / count, relativeL2: ratio(values[2], truthNorm),
            rmse: (values[2] / count).squareRoot(), maxError: largest, p99Error: min(p99, largest),
            baselineRelativeL2: hasBaseline ? ratio(values[5], truthNorm) : nil, relativeL2ByStep: byStep)
    }
}
