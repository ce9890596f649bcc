import Foundation
import PlanModel
import Sampling
import StudySpec
import Training

extension NormalizationRecipe {
    /// The normalisation a study's plan fixes: each parameter's mean and standard deviation from its distribution
    /// (closed forms for uniform, log-uniform, untruncated normal and integer-uniform; a quadrature of the inverse
    /// CDF for a truncated normal; the plan's own values for a choice or a point file), the time step as uniform over
    /// 0 … steps − 1, and per field its declared range or, without one, the study's output scaling from a warm-up.
    public init(plan: Plan, parameterInputs: [[Float]]) {
        var mean: [Float] = []
        var std: [Float] = []
        for (index, parameter) in plan.parameters.enumerated() {
            let column = parameterInputs.compactMap { index < $0.count ? Double($0[index]) : nil }
            let (m, s) = Self.moments(parameter.distribution, values: column)
            mean.append(Float(m))
            std.append(Float(s))
        }
        let steps = Double(max(plan.simulation.timeSteps, 1))
        mean.append(Float((steps - 1) / 2))
        std.append(Float(((steps * steps - 1) / 12).squareRoot()))
        let outputs: OutputScaling =
            switch plan.server.training.normalization?.outputs ?? .perElement {
            case .perField: .perField
            case .perElement: .perElement
            }
        self.init(
            inputMean: mean, inputStd: std.map { $0 > 0 ? $0 : 1 },
            fields: plan.server.fields.map { Field(size: $0.size ?? 0, range: $0.range) }, outputScaling: outputs)
    }

    /// The mean and standard deviation of a parameter drawn from `distribution`, or of `values` without one (a
    /// point file) or for a choice.
    static func moments(_ distribution: Distribution?, values: [Double]) -> (mean: Double, std: Double) {
        switch distribution {
        case .uniform(let lower, let upper):
            return ((lower + upper) / 2, (upper - lower) / 12.0.squareRoot())
        case .logUniform(let lower, let upper):
            let span = log(upper / lower)
            let mean = (upper - lower) / span
            let square = (upper * upper - lower * lower) / (2 * span)
            return (mean, max(square - mean * mean, 0).squareRoot())
        case .normal(let mean, let std, nil, nil):
            return (mean, std)
        case .normal:
            guard let distribution else { return sampleMoments(values) }
            // The midpoints of 4096 equal-probability slices through the inverse CDF.
            let slices = 4096
            let points = (0..<slices).compactMap { slice -> Double? in
                if case .real(let x) = distribution.value(atQuantile: (Double(slice) + 0.5) / Double(slices)) {
                    return x
                }
                return nil
            }
            return sampleMoments(points)
        case .integerUniform(let lower, let upper):
            let n = Double(upper - lower + 1)
            return (Double(lower + upper) / 2, ((n * n - 1) / 12).squareRoot())
        case .choice, nil:
            return sampleMoments(values)
        }
    }

    private static func sampleMoments(_ values: [Double]) -> (mean: Double, std: Double) {
        guard !values.isEmpty else { return (0, 1) }
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        return (mean, variance.squareRoot())
    }
}

extension Plan {
    /// The normalisation warm-up of the server: training samples (`training.normalization.warmup_samples`, by
    /// default the buffer's watermark) from distinct training simulations (`warmup_simulations`, by default 8, or
    /// every training simulation when there are fewer); nil when every field has a declared range.
    var normalizationWarmup: (samples: Int, simulations: Int)? {
        guard server.fields.contains(where: { $0.range == nil }) else { return nil }
        let spec = server.training.normalization
        let samples = min(spec?.warmupSamples ?? server.buffer.watermark, server.buffer.capacity)
        let simulations = min(
            spec?.warmupSimulations ?? NormalizationSpec.defaultWarmupSimulations, max(trainingCount, 1))
        return (max(samples, 1), simulations)
    }
}
