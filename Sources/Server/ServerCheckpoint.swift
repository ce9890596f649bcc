import Buffers
import Foundation
import Training

/// Everything a restarted server needs to go on as if it had not stopped: the trainer (weights, optimiser moments,
/// step, random state, normalisation), the buffer's samples with their read counts, the held-out samples, and the
/// (simulation, time step) pairs received.
struct ServerCheckpoint {
    struct Metadata: Codable {
        var configuration: TrainerConfiguration
        var step: Int
        var samplesSeen: Int
        var generator: SampleGenerator
        var normalizer: Normalizer
        var bufferSeen: [Int]
        var inputCount: Int
        var outputCount: Int
        var validationSimulations: [UInt32]
        var validationCounts: [Int]
        var batches: Int
        var elapsedSeconds: Double
    }

    var trainer: TrainerState
    var buffer: [HeldSample<TrainingSample>]
    var received: [UInt32: Set<UInt32>]
    var validation: [UInt32: [TrainingSample]]
    var batches: Int
    var elapsedSeconds: Double

    func write(to url: URL) throws {
        let architecture = trainer.configuration.architecture
        let validationIDs = validation.keys.sorted()
        var archive = BinaryArchive()
        try archive.setMetadata(
            Metadata(
                configuration: trainer.configuration, step: trainer.step, samplesSeen: trainer.samplesSeen,
                generator: trainer.generator, normalizer: trainer.normalizer, bufferSeen: buffer.map(\.seen),
                inputCount: architecture.inputCount, outputCount: architecture.outputCount,
                validationSimulations: validationIDs,
                validationCounts: validationIDs.map { validation[$0]?.count ?? 0 },
                batches: batches, elapsedSeconds: elapsedSeconds))
        archive.add("parameters", floats: trainer.parameters)
        archive.add("first_moment", floats: trainer.firstMoment)
        archive.add("second_moment", floats: trainer.secondMoment)
        archive.add("buffer", floats: buffer.flatMap { $0.sample.input + $0.sample.output })
        archive.add(
            "validation",
            floats: validationIDs.flatMap { id in (validation[id] ?? []).flatMap { $0.input + $0.output } })
        var pairs: [UInt32] = []
        for (id, steps) in received.sorted(by: { $0.key < $1.key }) {
            for step in steps.sorted() { pairs += [id, step] }
        }
        archive.add("received", integers: pairs)
        try archive.write(to: url)
    }

    static func read(from url: URL) throws -> ServerCheckpoint {
        let contents = try BinaryArchive.read(from: url)
        let metadata = try contents.metadata(Metadata.self)
        let width = metadata.inputCount + metadata.outputCount
        func samples(_ values: [Float], count: Int) throws -> [TrainingSample] {
            guard values.count == count * width else { throw ServerError.checkpoint("sample arrays of the wrong size") }
            return (0..<count).map { index in
                let row = values[(index * width)..<((index + 1) * width)]
                return TrainingSample(
                    input: Array(row.prefix(metadata.inputCount)), output: Array(row.suffix(metadata.outputCount)))
            }
        }
        let buffered = try samples(contents.floats("buffer"), count: metadata.bufferSeen.count)
        let heldOut = try samples(contents.floats("validation"), count: metadata.validationCounts.reduce(0, +))
        var validation: [UInt32: [TrainingSample]] = [:]
        var start = 0
        for (id, count) in zip(metadata.validationSimulations, metadata.validationCounts) {
            validation[id] = Array(heldOut[start..<(start + count)])
            start += count
        }
        let pairs = try contents.integers("received")
        var received: [UInt32: Set<UInt32>] = [:]
        for index in stride(from: 0, to: pairs.count - 1, by: 2) {
            received[pairs[index], default: []].insert(pairs[index + 1])
        }
        let trainer = TrainerState(
            configuration: metadata.configuration, parameters: try contents.floats("parameters"),
            firstMoment: try contents.floats("first_moment"), secondMoment: try contents.floats("second_moment"),
            step: metadata.step, samplesSeen: metadata.samplesSeen, generator: metadata.generator,
            normalizer: metadata.normalizer)
        return ServerCheckpoint(
            trainer: trainer, buffer: zip(buffered, metadata.bufferSeen).map { HeldSample(sample: $0, seen: $1) },
            received: received, validation: validation, batches: metadata.batches,
            elapsedSeconds: metadata.elapsedSeconds)
    }
}
