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
