import Foundation
import Testing
import Training

/// The backward pass against central finite differences of a float64 reference forward pass.
@Suite struct GradientTests {
    /// Mean squared error of a float64 forward pass with the given parameters (identity normalisation).
    static func referenceLoss(_ architecture: MLPArchitecture, _ parameters: [Double], _ samples: [TrainingSample])
        -> Double
    {
        var total = 0.0
        for sample in samples {
            var activations = sample.input.map(Double.init)
            let layers = architecture.layers
            for (index, layer) in layers.enumerated() {
                var next = [Double](repeating: 0, count: layer.outputs)
                for o in 0..<layer.outputs {
                    var sum = parameters[layer.biasOffset + o]
                    for i in 0..<layer.inputs {
                        sum += parameters[layer.weightOffset + o * layer.inputs + i] * activations[i]
                    }
                    if index < layers.count - 1 {
                        switch architecture.activation {
                        case .relu: sum = max(sum, 0)
                        case .tanh: sum = tanh(sum)
                        case .gelu: sum = 0.5 * sum * (1 + erf(sum / 2.0.squareRoot()))
                        }
                    }
                    next[o] = sum
                }
                activations = next
            }
            for (o, value) in activations.enumerated() {
                let d = value - Double(sample.output[o])
                total += d * d
            }
        }
        return total / Double(samples.count * architecture.outputCount)
    }

    @Test(arguments: Activation.allCases)
    func gradientMatchesFiniteDifferences(activation: Activation) throws {
        let configuration = TestData.configuration(
            inputs: 3, hidden: [6, 5], outputs: 4, activation: activation, batch: 8, seed: 3)
        let trainer = try Trainer(configuration: configuration)
        let samples = TestData.randomSamples(count: 7, inputs: 3, outputs: 4, seed: 11)
        // Non-zero biases so that every term of the gradient is exercised.
        var parameters = trainer.parameters
        for layer in configuration.architecture.layers {
            for o in 0..<layer.outputs { parameters[layer.biasOffset + o] = 0.1 * Float(o % 3) - 0.1 }
        }
        try trainer.setParameters(parameters)
        let (loss, gradient) = try trainer.lossAndGradient(samples)

        let reference = parameters.map(Double.init)
        let referenceValue = Self.referenceLoss(configuration.architecture, reference, samples)
        #expect(abs(Double(loss) - referenceValue) <= 1e-5 * referenceValue)
        let h = 1e-6
        var worst = 0.0
        for index in reference.indices {
            var plus = reference
            var minus = reference
            plus[index] += h
            minus[index] -= h
            let numeric =
                (Self.referenceLoss(configuration.architecture, plus, samples)
                    - Self.referenceLoss(configuration.architecture, minus, samples)) / (2 * h)
            let error = abs(Double(gradient[index]) - numeric) / max(abs(numeric), 1e-3)
            worst = max(worst, error)
            #expect(error < 1e-3, "parameter \(index): analytic \(gradient[index]), numeric \(numeric)")
        }
        #expect(worst < 1e-3)
    }

    @Test func inputNormalisationIsPartOfTheNetwork() throws {
        // A frozen normalisation: the gradient equals that of the identity network on pre-normalised samples.
        let configuration = TestData.configuration(inputs: 2, hidden: [4], outputs: 3, activation: .tanh, batch: 4)
        let samples = TestData.randomSamples(count: 4, inputs: 2, outputs: 3, seed: 5)
        let normalizer = Normalizer(
            inputMean: [0.5, -0.25], inputStd: [2, 0.5], outputMean: [1, 0, -1], outputStd: [3, 1, 0.25])
        let normalized = samples.map { sample in
            TrainingSample(
                input: sample.input.enumerated().map { ($1 - normalizer.inputMean[$0]) / normalizer.inputStd[$0] },
                output: sample.output.enumerated().map { ($1 - normalizer.outputMean[$0]) / normalizer.outputStd[$0] })
        }
        let a = try Trainer(configuration: configuration)
        try a.setNormalizer(normalizer)
        let b = try Trainer(configuration: configuration)
        let (lossA, gradientA) = try a.lossAndGradient(samples)
        let (lossB, gradientB) = try b.lossAndGradient(normalized)
        #expect(abs(lossA - lossB) <= 1e-5 * lossB)
        for (x, y) in zip(gradientA, gradientB) { #expect(abs(x - y) <= 1e-4 * max(abs(y), 1e-3)) }
    }
}
