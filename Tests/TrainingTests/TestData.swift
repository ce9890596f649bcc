import Foundation
import Randomness
import Training

/// Random batches and small networks shared by the training tests.
enum TestData {
    static func uniform(_ generator: inout Xoshiro256StarStar, _ low: Float = -1, _ high: Float = 1) -> Float {
        low + (high - low) * Float(generator.next() >> 40) * 0x1p-24
    }

    static func randomSamples(count: Int, inputs: Int, outputs: Int, seed: UInt64) -> [TrainingSample] {
        var generator = Xoshiro256StarStar(seed: seed)
        return (0..<count).map { _ in
            TrainingSample(
                input: (0..<inputs).map { _ in uniform(&generator) },
                output: (0..<outputs).map { _ in uniform(&generator) })
        }
    }

    /// A smooth field of 8 values over three parameters in [0, 1] and a time step in 0..<20.
    static func smoothSamples(count: Int, seed: UInt64) -> [TrainingSample] {
        var generator = Xoshiro256StarStar(seed: seed)
        return (0..<count).map { _ in
            let p = [uniform(&generator, 0, 1), uniform(&generator, 0, 1), uniform(&generator, 0, 1)]
            let t = Float(generator.index(below: 20))
            let field = (0..<8).map { k in
                100 + 20 * sin(3 * p[0] + 0.4 * Float(k)) * p[1] + 5 * cos(0.1 * t * p[2] + Float(k))
            }
            return TrainingSample(parameters: p, timeStep: t, field: field)
        }
    }

    static func configuration(
        inputs: Int, hidden: [Int], outputs: Int, activation: Activation,
        optimizer: OptimizerConfiguration = OptimizerConfiguration(), batch: Int, seed: UInt64 = 42,
        warmup: Int = 0
    ) -> TrainerConfiguration {
        TrainerConfiguration(
            architecture: MLPArchitecture(
                inputCount: inputs, hidden: hidden, outputCount: outputs, activation: activation),
            optimizer: optimizer, maxBatchSize: batch, seed: seed, normalizationWarmupSamples: warmup)
    }
}
