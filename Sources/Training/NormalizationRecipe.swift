/// How the outputs of a field are scaled before the loss.
public enum OutputScaling: String, Sendable, Hashable, Codable, CaseIterable {
    /// One mean and one standard deviation per output value (element), the standard deviation at least a hundredth
    /// of the field's.
    case perElement = "per_element"
    /// One mean and one standard deviation per field, over all its elements: the loss is the mean squared error in
    /// the field's own units, up to one factor per field.
    case perField = "per_field"
}

/// What a trainer's normalisation is made of, fixed before training: the inputs' moments (known from the plan's
/// distributions and time steps, so that the order in which simulations stream cannot bias them), and per field
/// either a declared physical range or statistics of the training samples received during a warm-up.
public struct NormalizationRecipe: Sendable, Hashable, Codable {
    /// One field of the output vector, in order.
    public struct Field: Sendable, Hashable, Codable {
        /// Its number of values per time step.
        public var size: Int
        /// Its declared range: the values are mapped from [lower, upper] onto [−1, 1]; nil when learned.
        public var lower: Double?
        /// The declared range's upper end.
        public var upper: Double?

        /// A field of `size` values, with a declared range or none.
        public init(size: Int, range: ClosedRange<Double>? = nil) {
            self.size = size
            lower = range?.lowerBound
            upper = range?.upperBound
        }

        /// Whether the field's scaling is declared (no statistics needed).
        public var isDeclared: Bool { lower != nil && upper != nil }
    }

    /// The mean of each input.
    public var inputMean: [Float]
    /// The standard deviation of each input (a zero one becomes 1).
    public var inputStd: [Float]
    /// The fields, in the order of the output vector.
    public var fields: [Field]
    /// How learned fields are scaled.
    public var outputScaling: OutputScaling

    /// Creates a recipe.
    public init(inputMean: [Float], inputStd: [Float], fields: [Field], outputScaling: OutputScaling) {
        self.inputMean = inputMean
        self.inputStd = inputStd
        self.fields = fields
        self.outputScaling = outputScaling
    }

    /// Output values in all.
    public var outputCount: Int { fields.reduce(0) { $0 + $1.size } }

    /// Whether some field is scaled from statistics of the training samples.
    public var needsStatistics: Bool { fields.contains { !$0.isDeclared } }

    /// The frozen normalisation: declared fields from their range, the others from `outputs` (statistics of the
    /// output values only, `outputCount` features; nil or empty gives those fields mean 0 and std 1).
    public func normalizer(outputs: FeatureStatistics?) -> Normalizer {
        var mean = [Float](repeating: 0, count: outputCount)
        var std = [Float](repeating: 1, count: outputCount)
        let statistics = outputs.flatMap { $0.count > 0 && $0.features == outputCount ? $0 : nil }
        let variance = statistics?.variance ?? []
        var start = 0
        for field in fields {
            let elements = start..<(start + field.size)
            defer { start += field.size }
            if let lower = field.lower, let upper = field.upper {
                let center = Float((lower + upper) / 2)
                let half = Float((upper - lower) / 2)
                for j in elements {
                    mean[j] = center
                    std[j] = half > 0 ? half : 1
                }
                continue
            }
            guard let statistics, !elements.isEmpty else { continue }
            // Pooled over the field: the mean of the elements' means, and the variance of all values around it.
            let fieldMean = elements.reduce(0.0) { $0 + statistics.mean[$1] } / Double(field.size)
            let fieldVariance =
                elements.reduce(0.0) { total, j in
                    let offset = statistics.mean[j] - fieldMean
                    return total + variance[j] + offset * offset
                } / Double(field.size)
            let fieldStd = Self.effectiveStd(fieldVariance, mean: fieldMean)
            switch outputScaling {
            case .perElement:
                // An element that barely varied during the warm-up is scaled as if it varied a hundredth as much
                // as the field: a value that starts to move later cannot blow the loss up.
                let floor = fieldStd / 100
                for j in elements {
                    mean[j] = Float(statistics.mean[j])
                    std[j] = max(Float(max(variance[j], 0).squareRoot()), floor)
                }
            case .perField:
                for j in elements {
                    mean[j] = Float(fieldMean)
                    std[j] = fieldStd
                }
            }
        }
        return Normalizer(inputMean: inputMean, inputStd: inputStd, outputMean: mean, outputStd: std)
    }

    /// A standard deviation below 1e-6 · max(1, |mean|) (a value held constant) counts as 1.
    static func effectiveStd(_ variance: Double, mean: Double) -> Float {
        let std = max(variance, 0).squareRoot()
        return std >= 1e-6 * max(1, abs(mean)) ? Float(std) : 1
    }
}
