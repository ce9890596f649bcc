import Foundation
import Testing
import Training

@Suite struct TrainingBehaviourTests {
    static func smoothConfiguration(seed: UInt64 = 42) -> TrainerConfiguration {
        TestData.configuration(
            inputs: 4, hidden: [32, 32], outputs: 8, activation: .relu,
            optimizer: OptimizerConfiguration(method: .adam, learningRate: 3e-3), batch: 16, seed: seed,
            warmup: 200)
    }

    @Test func lossDecreasesOnASmoothFunction() throws {
        let trainer = try Trainer(configuration: Self.smoothConfiguration())
        let samples = TestData.smoothSamples(count: 4000, seed: 1)
        var losses: [Float] = []
        for start in stride(from: 0, to: samples.count, by: 16) {
            losses.append(try trainer.step(samples[start..<(start + 16)]).loss)
        }
        let first = losses.prefix(10).reduce(0, +) / 10
        let last = losses.suffix(10).reduce(0, +) / 10
        #expect(last < 0.1 * first, "mean loss of the first 10 steps \(first), of the last 10 \(last)")
        #expect(trainer.normalizer.isFrozen)
        #expect(trainer.normalizer.statistics.count == 208)  // 13 batches of 16 reach the 200-sample warm-up
        // Held-out data: the validation loss is small too.
        let validation = TestData.smoothSamples(count: 200, seed: 2)
        #expect(try trainer.loss(validation) < 0.2 * first)
    }

    @Test func theSameSeedGivesTheSameBits() throws {
        let samples = TestData.smoothSamples(count: 320, seed: 5)
        func train() throws -> [Float] {
            let trainer = try Trainer(configuration: Self.smoothConfiguration(seed: 77))
            for start in stride(from: 0, to: samples.count, by: 16) { try trainer.step(samples[start..<(start + 16)]) }
            return trainer.parameters
        }
        let a = try train()
        let b = try train()
        #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
        let other = try Trainer(configuration: Self.smoothConfiguration(seed: 78))
        #expect(other.parameters != (try Trainer(configuration: Self.smoothConfiguration(seed: 77))).parameters)
    }

    @Test(arguments: [OptimizerConfiguration.Method.adam, .sgd])
    func aCheckpointedStateContinuesBitForBit(method: OptimizerConfiguration.Method) throws {
        var configuration = Self.smoothConfiguration()
        configuration.optimizer = OptimizerConfiguration(
            method: method, learningRate: 1e-3, weightDecay: 1e-3, decayEverySteps: 3, decayFactor: 0.5)
        let samples = TestData.smoothSamples(count: 320, seed: 8)
        let batches = stride(from: 0, to: samples.count, by: 16).map { samples[$0..<($0 + 16)] }
        let straight = try Trainer(configuration: configuration)
        for batch in batches { try straight.step(batch) }

        let first = try Trainer(configuration: configuration)
        for batch in batches.prefix(7) { try first.step(batch) }
        let saved = try JSONEncoder().encode(first.state)
        let resumed = try Trainer(state: try JSONDecoder().decode(TrainerState.self, from: saved))
        #expect(resumed.stepCount == 7)
        for batch in batches.dropFirst(7) { try resumed.step(batch) }
        #expect(resumed.parameters.map(\.bitPattern) == straight.parameters.map(\.bitPattern))
        #expect(resumed.state == straight.state)
    }

    @Test func theLearningRateDecaysInSteps() {
        let optimizer = OptimizerConfiguration(learningRate: 0.1, decayEverySteps: 10, decayFactor: 0.5)
        #expect(optimizer.learningRate(atStep: 0) == 0.1)
        #expect(optimizer.learningRate(atStep: 9) == 0.1)
        #expect(optimizer.learningRate(atStep: 10) == 0.05)
        #expect(optimizer.learningRate(atStep: 35) == 0.0125)
        #expect(OptimizerConfiguration(learningRate: 0.1).learningRate(atStep: 1000) == 0.1)
    }

    @Test func statisticsMergeLikeOnePass() throws {
        let samples = TestData.randomSamples(count: 30, inputs: 2, outputs: 3, seed: 4)
        func statistics(_ part: ArraySlice<TrainingSample>) -> FeatureStatistics {
            let inputs = part.flatMap(\.input)
            let outputs = part.flatMap(\.output)
            return inputs.withUnsafeBufferPointer { i in
                outputs.withUnsafeBufferPointer { o in
                    FeatureStatistics.ofBatch(
                        inputs: i.baseAddress ?? UnsafePointer(bitPattern: 8).unsafelyUnwrapped, inputWidth: 2,
                        outputs: o.baseAddress ?? UnsafePointer(bitPattern: 8).unsafelyUnwrapped, outputWidth: 3,
                        rows: part.count)
                }
            }
        }
        let whole = statistics(samples[...])
        var merged = statistics(samples[0..<7])
        merged.merge(statistics(samples[7..<19]))
        merged.merge(statistics(samples[19..<30]))
        #expect(merged.count == 30)
        for j in 0..<5 {
            #expect(abs(merged.mean[j] - whole.mean[j]) < 1e-12)
            #expect(abs(merged.variance[j] - whole.variance[j]) < 1e-12)
        }
    }

    @Test func badBatchesAreRefused() throws {
        let trainer = try Trainer(configuration: Self.smoothConfiguration())
        #expect(throws: TrainingError.self) { try trainer.step(TestData.smoothSamples(count: 17, seed: 1)) }
        #expect(throws: TrainingError.self) {
            try trainer.step([TrainingSample(input: [1, 2], output: [Float](repeating: 0, count: 8))])
        }
        #expect(throws: TrainingError.self) {
            try Trainer(
                configuration: TestData.configuration(
                    inputs: 0, hidden: [4], outputs: 1, activation: .relu, batch: 1))
        }
    }
}
