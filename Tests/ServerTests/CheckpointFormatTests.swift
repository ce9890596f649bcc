import Buffers
import Foundation
import Testing
import Training

@testable import Server

@Test func aVersionOneCheckpointIsReadWithItsStepsUnderThePlansValues() throws {
    let trainer = try Trainer(
        configuration: TrainerConfiguration(
            training: smallStudy().training, parameterCount: 2, outputCount: 50, seed: 3))
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("melissa-ckpt-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let current = directory.appendingPathComponent("v2.melissa")
    let received: ReceivedSteps = [1: [0: [0, 1], 2: [5]], 4: [0: [7]]]
    try ServerCheckpoint(
        trainer: trainer.state, buffer: [], received: received, validation: [:], batches: 12, elapsedSeconds: 1.5
    ).write(to: current)
    let again = try ServerCheckpoint.read(from: current)
    #expect(again.received == received, "version 2 keeps each step's parameter set")
    #expect(again.batches == 12)

    // The same contents as the first format wrote them: no version, received as (simulation, step) pairs.
    let contents = try BinaryArchive.read(from: current)
    var metadata = try contents.metadata(ServerCheckpoint.Metadata.self)
    metadata.version = nil
    metadata.rank = nil
    metadata.ranks = nil
    var archive = BinaryArchive()
    try archive.setMetadata(metadata)
    for name in ["parameters", "first_moment", "second_moment", "buffer", "validation"] {
        archive.add(name, floats: try contents.floats(name))
    }
    archive.add("received", integers: [1, 0, 1, 1, 4, 7])
    let old = directory.appendingPathComponent("v1.melissa")
    try archive.write(to: old)
    let read = try ServerCheckpoint.read(from: old)
    #expect(read.received == [1: [0: [0, 1]], 4: [0: [7]]])
    #expect(read.rank == 0 && read.ranks == 1)
    #expect(read.trainer.parameters == trainer.parameters)
}

/// A checkpoint of a fresh trainer with a few buffered samples, at `batches`.
func sampleCheckpoint(batches: Int, rank: Int = 0, ranks: Int = 1) throws -> ServerCheckpoint {
    let trainer = try Trainer(
        configuration: TrainerConfiguration(
            training: smallStudy().training, parameterCount: 2, outputCount: 50, seed: 3))
    let inputs = trainer.configuration.architecture.inputCount
    let samples = (0..<4).map { index in
        HeldSample(
            sample: TrainingSample(
                input: [Float](repeating: Float(index), count: inputs), output: field([1, 0], step: UInt32(index))),
            seen: index)
    }
    return ServerCheckpoint(
        trainer: trainer.state, buffer: samples, received: [1: [0: [0, 1, 2, 3]]], validation: [:],
        batches: batches, elapsedSeconds: 2, rank: rank, ranks: ranks)
}

func temporaryDirectory() throws -> URL {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("melissa-ckpt-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory
}

/// The message of the checkpoint error `body` throws, or nil.
func checkpointError(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch let ServerError.checkpoint(message) {
        return message
    } catch {
        return "\(error)"
    }
}

@Test func aTruncatedOrCorruptCheckpointIsRefusedNamingTheFileAndWhatIsWrong() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("checkpoint.melissa")
    try sampleCheckpoint(batches: 7).write(to: url)
    let good = try Data(contentsOf: url)
    #expect(try ServerCheckpoint.read(from: url).batches == 7)
    #expect(Array(good.prefix(8)) == Array("MLSCKPT2".utf8))

    func refusal(of data: Data) throws -> String? {
        try data.write(to: url)
        return checkpointError { _ = try ServerCheckpoint.read(from: url) }
    }
    let truncated = try refusal(of: good.prefix(good.count / 2))
    #expect(truncated?.hasPrefix(url.path + " is truncated: \(good.count / 2) bytes of the \(good.count)") == true)
    // One bit flipped in the weights: the file still parses; only the checksum tells.
    var flipped = good
    flipped[good.count - 100] ^= 0x10
    let corrupt = try refusal(of: flipped)
    #expect(corrupt?.hasPrefix(url.path + " is corrupt: its CRC-32C is 0x") == true, "\(corrupt ?? "read")")
    #expect(
        try refusal(of: good + Data([0])) == url.path + " is corrupt: \(good.count + 1) bytes, but its prefix "
            + "announces \(good.count) bytes")
    #expect(try refusal(of: Data()) == url.path + " is empty")
    #expect(try refusal(of: Data("not a checkpoint at all".utf8))?.contains("is not a melissa checkpoint") == true)

    try FileManager.default.removeItem(at: url)
    #expect(checkpointError { _ = try ServerCheckpoint.read(from: url) } == url.path + " does not exist")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
    #expect(
        checkpointError { _ = try ServerCheckpoint.read(from: url) }
            == url.path + " is a directory, not a checkpoint file")
}

@Test func aCheckpointUnderAPathThroughARegularFileFailsWithTheSystemsErrorInWords() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    // The study directory's place taken by a regular file: every checkpoint fails, none throws.
    let notADirectory = directory.appendingPathComponent("study")
    try Data("x".utf8).write(to: notADirectory)
    let store = CheckpointStore(directory: notADirectory, ranks: 1)
    let outcome = try store.write(try sampleCheckpoint(batches: 3), LocalCommunicator())
    let next = notADirectory.appendingPathComponent(".checkpoint.melissa.next.tmp").path
    #expect(
        outcome
            == .failed(
                reason: store.url(rank: 0).path + ": cannot create \(next): Not a directory (errno \(ENOTDIR))"))
}

/// The size of the store's current file.
private func good(_ store: CheckpointStore) -> Int {
    (try? FileManager.default.attributesOfItem(atPath: store.url(rank: 0).path)[.size] as? Int) ?? -1
}

@Test func aStoreKeepsTwoGenerationsAndAFailedWriteLeavesThemAsTheyWere() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let store = CheckpointStore(directory: directory, ranks: 1)
    let local = LocalCommunicator()
    for batches in [10, 20] {
        guard case .written = try store.write(try sampleCheckpoint(batches: batches), local) else {
            Issue.record("checkpoint \(batches) not written")
            return
        }
    }
    #expect(try ServerCheckpoint.read(from: store.url(rank: 0)).batches == 20)
    #expect(try ServerCheckpoint.read(from: store.previousURL(rank: 0)).batches == 10)
    // A directory in the previous generation's place: the checkpoint fails and both files stay.
    try FileManager.default.removeItem(at: store.previousURL(rank: 0))
    try FileManager.default.createDirectory(at: store.previousURL(rank: 0), withIntermediateDirectories: false)
    #expect(
        try store.write(try sampleCheckpoint(batches: 30), local)
            == .failed(
                reason: store.previousURL(rank: 0).path + " is a directory, not a checkpoint file: move it away"))
    #expect(try ServerCheckpoint.read(from: store.url(rank: 0)).batches == 20)
    #expect(!FileManager.default.fileExists(atPath: store.nextURL(rank: 0).path))
    // A restart reads the newest valid generation, and says why it skips a corrupt one.
    try FileManager.default.removeItem(at: store.previousURL(rank: 0))
    #expect(try store.write(try sampleCheckpoint(batches: 30), local) == .written(bytes: good(store)))
    try Data("garbage".utf8).write(to: store.url(rank: 0))
    var warnings: [String] = []
    let restored = try store.restore(local) { warnings.append($0) }
    #expect(restored?.url == store.previousURL(rank: 0))
    #expect(restored?.checkpoint.batches == 20)
    #expect(
        warnings == [
            store.url(rank: 0).path + " is not a melissa checkpoint: it does not start with MLSCKPT2; restarting "
                + "from \(store.previousURL(rank: 0).path) (batch 20)"
        ])
}
