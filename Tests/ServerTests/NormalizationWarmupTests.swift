import Buffers
import Foundation
import Ingest
import PlanModel
import Randomness
import Sampling
import StudySpec
import Testing
import Training

@testable import Server

/// A study whose field's offset follows parameter `b` over ±100, far larger than what the other parameter and the
/// step change: simulations streamed in the order of `b` start far from the rest.
private func offsetStudy() -> Study {
    Study(
        info: StudyInfo(name: "warmup-test", seed: 9),
        parameters: [
            Parameter(name: "a", distribution: .uniform(lower: 0.5, upper: 1.5)),
            Parameter(name: "b", distribution: .uniform(lower: -1, upper: 1)),
        ],
        sampler: SamplerSpec(kind: .sobol, count: 16, scramble: .none),
        simulation: SimulationSpec(
            command: "true", fields: [FieldSpec(name: "u", size: 50)], timeSteps: 20, timeoutSeconds: 60),
        buffer: BufferSpec(policy: .reservoir, capacity: 400, watermark: 40),
        training: TrainingSpec(
            model: ModelSpec(hidden: [32]), batchSize: 8, optimizer: OptimizerSpec(learningRate: 3e-3),
            validation: ValidationSpec(simulations: 4, everyBatches: 10))
    )
}

private func offsetField(_ values: [Double], step: Int) -> [Float] {
    let a = Float(values[0])
    let b = Float(values[1])
    return (0..<50).map { index in a * sin(Float(index) / 10 + Float(step) / 5) + 100 * b }
}

/// Streams the training simulations in `order`, one after the other, through the real sink and buffer (with the
/// plan's warm-up), training up to 30 batches after each (as far as the buffer lets reads through), then drains;
/// returns the validation relative L2 on the held-out simulations.
private func trainStreaming(order: [Int], plan: Plan, directory: URL) throws -> Double {
    let parameterSets = ParameterSets(plan: plan, directory: directory, log: { _ in })
    let server = plan.server
    let buffer = TrainingBuffer<TrainingSample>(
        policy: .reservoir, capacity: server.buffer.capacity, watermark: server.buffer.watermark, seed: 3)
    let validationIDs = Set(plan.simulations.filter { $0.role == .validation }.map { UInt32($0.id) })
    let warmup = try #require(plan.normalizationWarmup)
    let sink = StudySink(
        buffer: buffer, parameterSets: parameterSets, validationIDs: validationIDs, outputCount: 50,
        warmup: StudySink.Warmup(samples: warmup.samples, simulations: warmup.simulations))
    let trainer = try Trainer(
        configuration: TrainerConfiguration(plan: plan, parameterInputs: Array(parameterSets.planInputs.values)))
    trainer.warmupStatistics = { sink.outputStatistics }
    func send(_ id: Int) {
        let values = plan.simulations[id].values.map { value -> Double in
            if case .real(let number) = value { return number }
            return 0
        }
        for step in 0..<20 {
            sink.accept(
                Sample(simulationID: UInt32(id), timeStep: UInt32(step), values: offsetField(values, step: step)))
        }
    }
    var batch: [TrainingSample] = []
    func train(_ batches: Int) throws {
        for _ in 0..<batches {
            guard buffer.getBatch(8, into: &batch, waitingAtMost: 0), !batch.isEmpty else { return }
            try trainer.step(batch)
        }
    }
    for id in plan.simulations where id.role == .validation { send(id.id) }
    for id in order {
        send(id)
        try train(30)
    }
    buffer.finishReception()
    try train(10_000)
    var sums = ValidationSums(timeSteps: 20)
    try trainer.evaluate(sink.validationSamples, baseline: nil, into: &sums)
    return try #require(sums.metrics(hasBaseline: false)).relativeL2
}

/// The order of the stream cannot fool the normalisation: simulations streamed by decreasing field offset (the first
/// ones far from the rest) train a model within 1.5× of the error of a shuffled order.
@Test func theFirstSimulationsFarFromTheRestDoNotFreezeTheNormalisation() throws {
    let (plan, directory) = try plannedStudy(offsetStudy())
    defer { try? FileManager.default.removeItem(at: directory) }
    let training = plan.simulations.filter { $0.role == .training }
    let offset: (SimulationJob) -> Double = { job in
        if case .real(let b) = job.values[1] { return b }
        return 0
    }
    let sorted = training.sorted { offset($0) > offset($1) }.map(\.id)
    var seeded = Xoshiro256StarStar(seed: 17)
    let shuffled = training.map(\.id).shuffled(using: &seeded)
    let sortedError = try trainStreaming(order: sorted, plan: plan, directory: directory)
    let shuffledError = try trainStreaming(order: shuffled, plan: plan, directory: directory)
    #expect(sortedError.isFinite && shuffledError.isFinite)
    #expect(
        sortedError <= 1.5 * shuffledError,
        "sorted by offset: relative L2 \(sortedError); shuffled: \(shuffledError)")
}

/// The inputs' normalisation comes from the plan's distributions and time steps, not from the data.
@Test func theInputsAreNormalisedFromTheDistributionsAndTheSteps() throws {
    let (plan, directory) = try plannedStudy(offsetStudy())
    defer { try? FileManager.default.removeItem(at: directory) }
    let recipe = NormalizationRecipe(plan: plan, parameterInputs: [])
    #expect(abs(recipe.inputMean[0] - 1) < 1e-6)
    #expect(abs(recipe.inputStd[0] - Float(1 / 12.0.squareRoot())) < 1e-6)
    #expect(abs(recipe.inputMean[1]) < 1e-6)
    #expect(abs(recipe.inputMean[2] - 9.5) < 1e-6, "steps 0…19")
    #expect(abs(recipe.inputStd[2] - Float(((400.0 - 1) / 12).squareRoot())) < 1e-5)
    let warmup = try #require(plan.normalizationWarmup)
    #expect(warmup.samples == 40 && warmup.simulations == 8)
}

/// A declared range scales its field without statistics, so nothing waits for a warm-up.
@Test func aDeclaredRangeNeedsNoWarmup() throws {
    var study = offsetStudy()
    study.simulation.fields = [FieldSpec(name: "u", size: 50, range: -102...102)]
    let (plan, directory) = try plannedStudy(study)
    defer { try? FileManager.default.removeItem(at: directory) }
    #expect(plan.normalizationWarmup == nil)
    let trainer = try Trainer(configuration: TrainerConfiguration(plan: plan, parameterInputs: []))
    #expect(trainer.normalizer.isFrozen)
    #expect(trainer.normalizer.outputMean[0] == 0 && trainer.normalizer.outputStd[0] == 102)
}

/// Held reads wait beyond the watermark until released, and go once the buffer is full.
@Test func heldReadsWaitForTheWarmupOrAFullBuffer() {
    let buffer = TrainingBuffer<Int>(policy: .fifo, capacity: 4, watermark: 1, seed: 1)
    buffer.holdReads()
    buffer.put(1)
    var batch: [Int] = []
    #expect(buffer.getBatch(1, into: &batch, waitingAtMost: 0) && batch.isEmpty, "held")
    for value in 2...4 { buffer.put(value) }
    #expect(buffer.getBatch(1, into: &batch, waitingAtMost: 0) && batch == [1], "a full buffer lets reads through")
    buffer.put(5)
    buffer.releaseReads()
    #expect(buffer.getBatch(4, into: &batch, waitingAtMost: 0) && batch == [2, 3, 4, 5])
}
