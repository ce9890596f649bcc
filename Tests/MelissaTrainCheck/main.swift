// MelissaTrainCheck: data-parallel training on synthetic data, for the 2-rank test and by hand.
//
//   mpirun -np 2 MelissaTrainCheck [--samples N] [--shortfall K] [--batch B] [--threads T] [--seed S]
//
// Rank r streams N − r·K synthetic samples (a smooth function of three parameters and the time step) through its
// own FIFO training buffer, fed by a producer thread. The training loop runs on the main thread, the one that
// initialised MPI, so MPI_THREAD_FUNNELED is enough. Every rank prints one line:
//   rank=R size=S steps=… local_samples=… global_samples=… loss=… checksum=0x…
// where the checksum is FNV-1a over the bits of the final parameters: identical lines (but for rank and
// local_samples) mean identical weights.
import Buffers
import Distributed
import Foundation
import Training

func option(_ name: String, default value: Int) -> Int {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count,
        let parsed = Int(arguments[index + 1])
    else { return value }
    return parsed
}

func syntheticSample(_ generator: inout SampleGenerator, outputs: Int) -> TrainingSample {
    func unit() -> Float { Float(generator.next() >> 40) * 0x1p-24 }
    let parameters = [unit(), unit(), unit()]
    let timeStep = Float(generator.index(below: 20))
    let field = (0..<outputs).map { k in
        sin(3 * parameters[0] + 0.3 * Float(k)) * parameters[1] + 0.5 * cos(0.1 * timeStep * parameters[2] + Float(k))
    }
    return TrainingSample(parameters: parameters, timeStep: timeStep, field: field)
}

func checksum(_ values: [Float]) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for value in values {
        var bits = value.bitPattern
        for _ in 0..<4 {
            hash = (hash ^ UInt64(bits & 0xff)) &* 0x0000_0100_0000_01b3
            bits >>= 8
        }
    }
    return hash
}

func run() throws {
    let samples = option("--samples", default: 200)
    let shortfall = option("--shortfall", default: 70)
    let batchSize = option("--batch", default: 10)
    let seed = UInt64(option("--seed", default: 7))
    BLASThreads.set(option("--threads", default: 1))

    let mpi = try MPIRuntime(requesting: .funneled)
    defer { try? mpi.finalize() }
    let communicator = mpi.worldCommunicator()
    let outputs = 16
    let configuration = TrainerConfiguration(
        architecture: MLPArchitecture(inputCount: 4, hidden: [32, 32], outputCount: outputs, activation: .tanh),
        optimizer: OptimizerConfiguration(method: .adam, learningRate: 3e-3, weightDecay: 1e-4),
        maxBatchSize: batchSize,
        // Each rank draws different initial weights: the broadcast from rank 0 must make them agree.
        seed: seed &+ UInt64(mpi.rank), normalizationWarmupSamples: 60)
    let trainer = try Trainer(configuration: configuration)
    try trainer.synchronizeParameters(communicator)

    let localCount = max(0, samples - mpi.rank * shortfall)
    let buffer = makeSampleBuffer(
        policy: .fifo, capacity: 32, watermark: 1, seed: seed, of: TrainingSample.self)
    let rank = mpi.rank
    let producer = Thread {
        var generator = SampleGenerator(seed: seed &* 1000 &+ UInt64(rank))
        for _ in 0..<localCount { buffer.put(syntheticSample(&generator, outputs: outputs)) }
        buffer.finishReception()
    }
    producer.start()

    var batch: [TrainingSample] = []
    batch.reserveCapacity(batchSize)
    var steps = 0
    var localSamples = 0
    var globalSamples = 0
    var loss: Float = .nan
    while true {
        let count = buffer.getBatch(batchSize, into: &batch) ? try trainer.stage(batch) : 0
        guard let result = try trainer.step(staged: count, communicator: communicator) else { break }
        steps += 1
        localSamples += count
        globalSamples += result.samples
        loss = result.loss
    }
    let hash = String(checksum(trainer.parameters), radix: 16)
    print(
        "rank=\(mpi.rank) size=\(mpi.size) steps=\(steps) local_samples=\(localSamples) "
            + "global_samples=\(globalSamples) loss=\(loss) thread_level=\(mpi.threadLevel) checksum=0x\(hash)")
}

do {
    try run()
} catch {
    FileHandle.standardError.write(Data("MelissaTrainCheck: \(error)\n".utf8))
    exit(1)
}
