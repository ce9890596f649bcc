import Buffers
import Foundation
import Training

/// Everything a restarted server needs to go on as if it had not stopped: the trainer (weights, optimiser moments,
/// step, random state, normalisation), the buffer's samples with their read counts, the held-out samples, and the
/// (simulation, time step, parameter set) triples received.
///
/// Format version 2 (`"version": 2` in the metadata) stores `received` as u32 triples (simulation, time step,
/// parameter set) and the rank; version 1 (no `version`) stored pairs (simulation, time step), read as parameter set 0.
struct ServerCheckpoint {
    /// The format written.
    static let formatVersion = 2

    struct Metadata: Codable {
        var version: Int?
        var rank: Int?
        var ranks: Int?
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
    var received: ReceivedSteps
    var validation: [UInt32: [TrainingSample]]
    var batches: Int
    var elapsedSeconds: Double
    /// This checkpoint's training rank and the number of ranks (0 and 1 for a one-rank server).
    var rank = 0
    var ranks = 1

    func write(to url: URL) throws {
        let architecture = trainer.configuration.architecture
        let validationIDs = validation.keys.sorted()
        var archive = BinaryArchive()
        try archive.setMetadata(
            Metadata(
                version: Self.formatVersion, rank: rank, ranks: ranks, configuration: trainer.configuration,
                step: trainer.step, samplesSeen: trainer.samplesSeen,
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
        var triples: [UInt32] = []
        for (id, sets) in received.sorted(by: { $0.key < $1.key }) {
            for (set, steps) in sets.sorted(by: { $0.key < $1.key }) {
                for step in steps.sorted() { triples += [id, step, UInt32(set)] }
            }
        }
        archive.add("received", integers: triples)
        try archive.write(to: url)
    }

    /// Reads and checks the checkpoint at `url`; throws ``ServerError/checkpoint(_:)`` naming the file and what is
    /// wrong with it (truncated, corrupt, another format).
    static func read(from url: URL) throws -> ServerCheckpoint {
        do {
            return try decode(BinaryArchive.read(from: url), url: url)
        } catch let error as ServerError {
            guard case .checkpoint(let message) = error, !message.hasPrefix(url.path) else { throw error }
            throw ServerError.checkpoint("\(url.path): \(message)")
        } catch {
            throw ServerError.checkpoint("\(url.path) does not decode: \(BinaryArchive.describe(error))")
        }
    }

    private static func decode(_ contents: BinaryArchive.Contents, url: URL) throws -> ServerCheckpoint {
        let metadata = try contents.metadata(Metadata.self)
        let width = metadata.inputCount + metadata.outputCount
        func samples(_ values: [Float], count: Int) throws -> [TrainingSample] {
            let (expected, overflow) = count.multipliedReportingOverflow(by: width)
            guard count >= 0, !overflow, values.count == expected else {
                throw ServerError.checkpoint("sample arrays of the wrong size")
            }
            return (0..<count).map { index in
                let row = values[(index * width)..<((index + 1) * width)]
                return TrainingSample(
                    input: Array(row.prefix(metadata.inputCount)), output: Array(row.suffix(metadata.outputCount)))
            }
        }
        let buffered = try samples(contents.floats("buffer"), count: metadata.bufferSeen.count)
        guard metadata.validationCounts.allSatisfy({ $0 >= 0 && $0 <= Int(UInt32.max) }) else {
            throw ServerError.checkpoint("validation counts out of range")
        }
        let heldOut = try samples(contents.floats("validation"), count: metadata.validationCounts.reduce(0, +))
        var validation: [UInt32: [TrainingSample]] = [:]
        var start = 0
        for (id, count) in zip(metadata.validationSimulations, metadata.validationCounts) {
            validation[id] = Array(heldOut[start..<(start + count)])
            start += count
        }
        let version = metadata.version ?? 1
        guard version <= formatVersion else {
            throw ServerError.checkpoint(
                "\(url.path) has format version \(version); this melissa reads up to \(formatVersion)")
        }
        let integers = try contents.integers("received")
        let tuple = version >= 2 ? 3 : 2
        guard integers.count % tuple == 0 else { throw ServerError.checkpoint("a received array of the wrong size") }
        var received: ReceivedSteps = [:]
        for index in stride(from: 0, to: integers.count, by: tuple) {
            let set = tuple == 3 ? Int(integers[index + 2]) : 0
            received[integers[index], default: [:]][set, default: []].insert(integers[index + 1])
        }
        let trainer = TrainerState(
            configuration: metadata.configuration, parameters: try contents.floats("parameters"),
            firstMoment: try contents.floats("first_moment"), secondMoment: try contents.floats("second_moment"),
            step: metadata.step, samplesSeen: metadata.samplesSeen, generator: metadata.generator,
            normalizer: metadata.normalizer)
        return ServerCheckpoint(
            trainer: trainer, buffer: zip(buffered, metadata.bufferSeen).map { HeldSample(sample: $0, seen: $1) },
            received: received, validation: validation, batches: metadata.batches,
            elapsedSeconds: metadata.elapsedSeconds, rank: metadata.rank ?? 0, ranks: metadata.ranks ?? 1)
    }
}
