import Foundation
import Testing
import Training

/// The per-sample losses a training step keeps (the signal of the per-simulation scores) and the table that
/// attributes them to simulations.
@Suite struct SampleLossTests {
    /// A trainer whose normalisation is learnt (frozen) on a first step, so that losses are in normalised units.
    static func trainedTrainer() throws -> (Trainer, [TrainingSample]) {
        let configuration = TestData.configuration(
            inputs: 4, hidden: [16, 16], outputs: 8, activation: .relu, batch: 8, seed: 7, warmup: 8)
        let trainer = try Trainer(configuration: configuration)
        let samples = TestData.smoothSamples(count: 40, seed: 5)
        for start in stride(from: 0, to: 32, by: 8) { try trainer.step(samples[start..<(start + 8)]) }
        #expect(trainer.normalizer.isFrozen)
        return (trainer, Array(samples[32..<40]))
    }

    /// The normalised mean squared error of `sample` computed directly: the prediction, de-normalised as
    /// `melissa predict` prints it, against the truth, over the output std.
    static func directLoss(_ trainer: Trainer, _ sample: TrainingSample) throws -> Double {
        let prediction = try trainer.predict(input: sample.input)
        let std = trainer.normalizer.outputStd
        var sum = 0.0
        for (j, value) in prediction.enumerated() {
            let error = (Double(value) - Double(sample.output[j])) / Double(std[j])
            sum += error * error
        }
        return sum / Double(prediction.count)
    }

    @Test func eachSamplesLossIsItsNormalisedMSEBeforeTheUpdateAndTheBatchLossIsTheirMean() throws {
        let (trainer, batch) = try Self.trainedTrainer()
        let direct = try batch.map { try Self.directLoss(trainer, $0) }
        let alone = try batch.map { Double(try trainer.loss([$0])) }
        let result = try trainer.step(batch)
        let losses = trainer.sampleLosses
        #expect(losses.count == batch.count)
        for (index, loss) in losses.enumerated() {
            #expect(abs(Double(loss) - direct[index]) <= 1e-4 * max(direct[index], 1e-6), "sample \(index)")
            #expect(abs(Double(loss) - alone[index]) <= 1e-5 * max(alone[index], 1e-6), "sample \(index)")
        }
        let mean = losses.reduce(0.0) { $0 + Double($1) } / Double(losses.count)
        #expect(abs(Double(result.loss) - mean) <= 1e-5 * mean)
        #expect(Set(direct.map { ($0 * 1e6).rounded() }).count > 1, "the samples' losses differ")
        // The validation that follows leaves them.
        _ = try trainer.loss(batch)
        #expect(trainer.sampleLosses == losses)
    }

    @Test func keepingTheSampleLossesChangesNothingElse() throws {
        let (with, batch) = try Self.trainedTrainer()
        let (without, _) = try Self.trainedTrainer()
        without.recordsSampleLosses = false
        let kept = try with.step(batch)
        let plain = try without.step(batch)
        #expect(with.parameters == without.parameters, "the same gradient, the same update")
        #expect(abs(kept.loss - plain.loss) <= 1e-6 * plain.loss)
        #expect(without.sampleLosses.isEmpty)
        #expect(with.sampleLosses.count == batch.count)
    }

    @Test func theTableKeepsEachSamplesLatestLossItsFirstAndTheReads() {
        var table = SimulationLossTable(timeSteps: 4)
        let s3t0 = SampleOrigin(simulationID: 3, timeStep: 0)
        let s3t1 = SampleOrigin(simulationID: 3, timeStep: 1)
        table.record(s3t0, loss: 0.5)
        table.record(s3t1, loss: 0.3)
        table.record(s3t0, loss: 0.1)  // a repeated read replaces the sample's loss
        table.record(SampleOrigin(simulationID: 7, timeStep: 2), loss: 2)
        let entry = table.entries[3]
        #expect(entry?.reads == 3)
        #expect(entry?.samples == 2)
        #expect(entry?.latest == [0.1, 0.3, -1, -1])
        #expect(abs((entry?.sums.loss ?? 0) - 0.2) < 1e-7, "the mean of the latest losses: (0.1 + 0.3) / 2")
        #expect(abs((entry?.sums.firstLoss ?? 0) - 0.4) < 1e-7, "the mean of the first losses: (0.5 + 0.3) / 2")
        #expect(table.samples == 3)
        // A step beyond the study's grows the entry.
        table.record(SampleOrigin(simulationID: 7, timeStep: 5), loss: 1)
        #expect(table.entries[7]?.latest.count == 6 && table.entries[7]?.samples == 2)

        // A redrawn simulation's samples (parameter set 1) replace those of set 0, whose reads are then ignored.
        table.record(SampleOrigin(simulationID: 3, timeStep: 2, parameterSet: 1), loss: 4)
        table.record(s3t0, loss: 9)
        #expect(table.entries[3]?.parameterSet == 1)
        #expect(table.entries[3]?.sums == SimulationLossTable.Sums(latest: 4, first: 4, reads: 1, samples: 1))

        // An entry as a checkpoint holds it recomputes its sum and samples.
        let restored = SimulationLossTable.Entry(parameterSet: 0, latest: [0.1, 0.3, -1, -1], firstSum: 0.8, reads: 3)
        #expect(restored.samples == 2 && abs(restored.latestSum - 0.4) < 1e-7)
        #expect(restored.sums.adding(restored.sums).reads == 6)
    }

    @Test func samplesWithoutAnOriginAreNotScored() throws {
        let (trainer, batch) = try Self.trainedTrainer()
        var scored = batch
        for index in scored.indices where index % 2 == 0 {
            scored[index].origin = SampleOrigin(simulationID: UInt32(index % 3), timeStep: UInt32(index))
        }
        try trainer.step(scored)
        var table = SimulationLossTable(timeSteps: 8)
        trainer.withSampleLosses { table.record(scored, losses: $0) }
        #expect(table.samples == 4)
        let losses = trainer.sampleLosses
        #expect(table.entries[0]?.latest[0] == losses[0])
        #expect(table.entries[1]?.latest[4] == losses[4])
    }
}
