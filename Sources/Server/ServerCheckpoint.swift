import Buffers
import Foundation
import Training

/// Everything a restarted server needs to go on as if it had not stopped: the trainer (weights, optimiser moments,
/// step, random state, normalisation), the buffer's samples with their read counts, the held-out samples, and the
/// (simulation, time step, parameter set) triples received.
///
/// A checkpoint of the PyTorch trainer also holds the trainer's own state (metadata `backend: "pytorch"` and
/// `backend_state_bytes`; the bytes packed into the u32 array `backend_state`), and empty native parameter arrays.
///
/// Format version 3 (`"version": 3` in the metadata) adds each buffered sample's origin and the rank's
/// per-simulation scores (arrays `buffer_origins`, `score_simulations`, `score_losses`); version 2 stores `received`
/// as u32 triples (simulation, time step, parameter set) and the rank; version 1 (no `version`) stored pairs
/// (simulation, time step), read as parameter set 0. Versions 1 and 2 are read with no scores and buffered samples of
/// unknown origin (their reads are not scored).
struct ServerCheckpoint {
    /// The format written.
    static let formatVersion = 3
    /// The u32 values of one simulation in `score_simulations`: id, parameter set, reads (low, high word), Σ of the
    /// first losses (a double's low and high word), and the count of its loss slots in `score_losses`.
    static let scoreRecordWidth = 7
    /// The simulation id of a buffered sample of unknown origin in `buffer_origins`.
    static let unknownOrigin = UInt32.max

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
        /// The trainer that wrote it (`pytorch`); nil: the native trainer.
        var backend: String?
        /// The byte length of the backend's own state (`backend_state`, packed little-endian into u32 words).
        var backendStateBytes: Int?
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
    /// This rank's per-simulation scores (``SimulationLossTable``'s entries).
    var scores: [UInt32: SimulationLossTable.Entry] = [:]
    /// The PyTorch trainer's own state (its `torch.save` of the model and the optimiser); nil for the native trainer.
    var backendState: Data?

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
                batches: batches, elapsedSeconds: elapsedSeconds, backend: backendState == nil ? nil : "pytorch",
                backendStateBytes: backendState?.count))
        if let backendState { archive.add("backend_state", integers: Self.words(of: backendState)) }
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
        archive.add(
            "buffer_origins",
            integers: buffer.flatMap { held -> [UInt32] in
                guard let origin = held.sample.origin else { return [Self.unknownOrigin, 0, 0] }
                return [origin.simulationID, origin.timeStep, origin.parameterSet]
            })
        var records: [UInt32] = []
        var losses: [Float] = []
        for (id, entry) in scores.sorted(by: { $0.key < $1.key }) {
            let reads = UInt64(clamping: entry.reads)
            let first = entry.firstSum.bitPattern
            records += [
                id, entry.parameterSet, UInt32(truncatingIfNeeded: reads), UInt32(truncatingIfNeeded: reads >> 32),
                UInt32(truncatingIfNeeded: first), UInt32(truncatingIfNeeded: first >> 32), UInt32(entry.latest.count),
            ]
            losses += entry.latest
        }
        archive.add("score_simulations", integers: records)
        archive.add("score_losses", floats: losses)
        try archive.write(to: url)
    }

    /// `bytes` packed little-endian into u32 words, the last one padded with zeros.
    static func words(of bytes: Data) -> [UInt32] {
        var words = [UInt32](repeating: 0, count: (bytes.count + 3) / 4)
        words.withUnsafeMutableBytes { raw in _ = bytes.copyBytes(to: raw) }
        return words.map { UInt32(littleEndian: $0) }
    }

    /// The first `count` bytes of little-endian u32 `words`.
    static func bytes(of words: [UInt32], count: Int) throws -> Data {
        guard count >= 0, count <= words.count * 4, count > words.count * 4 - 4 || words.isEmpty else {
            throw ServerError.checkpoint("a backend_state array of the wrong size")
        }
        let little = words.map(\.littleEndian)
        return little.withUnsafeBytes { Data($0.prefix(count)) }
    }

    /// The origins and the scores of a version-3 checkpoint: each buffered sample's origin (nil for one of unknown
    /// origin) and the score entries.
    private static func decodeScores(
        _ contents: BinaryArchive.Contents, bufferCount: Int
    ) throws -> (origins: [SampleOrigin?], scores: [UInt32: SimulationLossTable.Entry]) {
        let triples = try contents.integers("buffer_origins")
        guard triples.count == bufferCount * 3 else {
            throw ServerError.checkpoint("a buffer_origins array of the wrong size")
        }
        let origins = (0..<bufferCount).map { index -> SampleOrigin? in
            let id = triples[index * 3]
            guard id != unknownOrigin else { return nil }
            return SampleOrigin(
                simulationID: id, timeStep: triples[index * 3 + 1], parameterSet: triples[index * 3 + 2])
        }
        let records = try contents.integers("score_simulations")
        let losses = try contents.floats("score_losses")
        let width = scoreRecordWidth
        guard records.count % width == 0 else { throw ServerError.checkpoint("a score array of the wrong size") }
        var scores: [UInt32: SimulationLossTable.Entry] = [:]
        var start = 0
        for offset in stride(from: 0, to: records.count, by: width) {
            let count = Int(records[offset + 6])
            guard count <= losses.count - start else { throw ServerError.checkpoint("score arrays of the wrong size") }
            let reads = UInt64(records[offset + 2]) | UInt64(records[offset + 3]) << 32
            let first = Double(bitPattern: UInt64(records[offset + 4]) | UInt64(records[offset + 5]) << 32)
            scores[records[offset]] = SimulationLossTable.Entry(
                parameterSet: records[offset + 1], latest: Array(losses[start..<(start + count)]), firstSum: first,
                reads: Int(clamping: reads))
            start += count
        }
        guard start == losses.count else { throw ServerError.checkpoint("score arrays of the wrong size") }
        return (origins, scores)
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
                    input: Array(row.prefix(metadata.inputCount)),
                    output: FloatValues(row.suffix(metadata.outputCount)))
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
        var buffer = zip(buffered, metadata.bufferSeen).map { HeldSample(sample: $0, seen: $1) }
        var scores: [UInt32: SimulationLossTable.Entry] = [:]
        if version >= 3 {
            let decoded = try decodeScores(contents, bufferCount: buffer.count)
            for index in buffer.indices { buffer[index].sample.origin = decoded.origins[index] }
            scores = decoded.scores
        }
        let trainer = TrainerState(
            configuration: metadata.configuration, parameters: try contents.floats("parameters"),
            firstMoment: try contents.floats("first_moment"), secondMoment: try contents.floats("second_moment"),
            step: metadata.step, samplesSeen: metadata.samplesSeen, generator: metadata.generator,
            normalizer: metadata.normalizer)
        var checkpoint = ServerCheckpoint(
            trainer: trainer, buffer: buffer, received: received, validation: validation, batches: metadata.batches,
            elapsedSeconds: metadata.elapsedSeconds, rank: metadata.rank ?? 0, ranks: metadata.ranks ?? 1,
            scores: scores)
        if let count = metadata.backendStateBytes {
            checkpoint.backendState = try bytes(of: contents.integers("backend_state"), count: count)
        }
        return checkpoint
    }
}
