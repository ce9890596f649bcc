import Foundation
import Testing

@testable import Training

/// The validation's figures against the definitions of docs/server.md, computed by hand.
@Test func validationFiguresFollowTheirDefinitions() {
    var sums = ValidationSums(timeSteps: 3)
    let truths: [[Float]] = [[1, 2, 3, 4], [2, 2, 2, 2]]
    let predictions: [[Float]] = [[1, 2, 3, 6], [2, 1, 2, 2]]
    let scale: [Float] = [1, 1, 2, 2]
    let baseline: [Float] = [1.5, 2, 2.5, 3]
    for (index, (truth, prediction)) in zip(truths, predictions).enumerated() {
        prediction.withUnsafeBufferPointer {
            sums.add(prediction: $0, truth: truth, timeStep: index * 2, scale: scale, baseline: baseline)
        }
    }
    let metrics = sums.metrics(hasBaseline: true)!
    // Errors: sample 0 (step 0): [0, 0, 0, 2]; sample 1 (step 2): [0, −1, 0, 0].
    let squaredTruth = 1.0 + 4 + 9 + 16 + 4 * 4
    #expect(metrics.samples == 2)
    #expect(abs(metrics.relativeL2 - (5 / squaredTruth).squareRoot()) < 1e-12)
    #expect(abs(metrics.rmse - (5.0 / 8).squareRoot()) < 1e-12)
    #expect(abs(metrics.loss - (1.0 + 1) / 8) < 1e-12, "(2/2)² + (−1/1)² over 8 values")
    #expect(metrics.maxError == 2)
    #expect(metrics.p99Error > 1.9 && metrics.p99Error <= 2, "the largest error's bin, within 3 %: \(metrics.p99Error)")
    let baselineSquared = 0.25 + 0 + 0.25 + 1 + 0.25 + 0 + 0.25 + 1
    #expect(abs(metrics.baselineRelativeL2! - (baselineSquared / squaredTruth).squareRoot()) < 1e-12)
    #expect(metrics.relativeL2ByStep.count == 3)
    #expect(abs(metrics.relativeL2ByStep[0]! - (4 / 30.0).squareRoot()) < 1e-12)
    #expect(metrics.relativeL2ByStep[1] == nil, "no sample of step 1")
    #expect(abs(metrics.relativeL2ByStep[2]! - (1 / 16.0).squareRoot()) < 1e-12)
}

/// No sample, no figures; a declared range maps its field onto [−1, 1] and per-element scaling keeps a floor.
@Test func emptySumsGiveNothingAndRecipesScaleAsDocumented() {
    #expect(ValidationSums(timeSteps: 2).metrics(hasBaseline: false) == nil)
    let recipe = NormalizationRecipe(
        inputMean: [0], inputStd: [1], fields: [.init(size: 2, range: 100...300), .init(size: 2)],
        outputScaling: .perElement)
    #expect(recipe.needsStatistics)
    var statistics = FeatureStatistics(features: 4)
    for row: [Float] in [[0, 0, 10, 5], [0, 0, 20, 5]] { row.withUnsafeBufferPointer { statistics.add($0) } }
    let normalizer = recipe.normalizer(outputs: statistics)
    #expect(normalizer.outputMean[0] == 200 && normalizer.outputStd[0] == 100)
    #expect(normalizer.outputMean[2] == 15 && normalizer.outputStd[2] == 5)
    // Element 3 never varied: its std is a hundredth of the field's pooled std.
    let pooled = ((25.0 + 0) / 2 + (25 + 25) / 2).squareRoot()
    #expect(abs(Double(normalizer.outputStd[3]) - pooled / 100) < 1e-6)
    let perField = NormalizationRecipe(
        inputMean: [0], inputStd: [1], fields: [.init(size: 2, range: 100...300), .init(size: 2)],
        outputScaling: .perField
    ).normalizer(outputs: statistics)
    #expect(perField.outputMean[2] == 10 && perField.outputMean[3] == 10)
    #expect(abs(Double(perField.outputStd[2]) - pooled) < 1e-5)
}
