import Foundation
import Ingest
import Launching
import MelissaTestSupport
import PlanModel
import Randomness
import Testing
import Training
import WireProtocol

@testable import Server

/// The field of simulation `noisy`: uniform noise in [-5, 5], new at every step and element, which no network fits
/// (the others' fields are smooth functions of the parameters and the step, of amplitude about 1).
func noise(for noisy: Int) -> @Sendable (Int, UInt32) -> [Float]? {
    { id, step in
        guard id == noisy else { return nil }
        var generator = SplitMix64(seed: UInt64(id) << 32 | UInt64(step))
        return (0..<50).map { _ in Float(generator.next() >> 40) * 0x1p-24 * 10 - 5 }
    }
}

/// The scores of `<study dir>/scores.json`.
func scoreFile(_ directory: URL) throws -> [Int: SimulationScore] {
    try #require(SimulationScore.read(fromStudy: directory.path), "scores.json in \(directory.path)")
}

/// Polls the server's status (60 s at most) until `condition` holds of it; the last status.
func waitForStatus(
    _ directory: URL, until condition: (ServerStatus) -> Bool
) async throws -> ServerStatus {
    let address = try ServerAddress.read(fromDirectory: directory, timeout: 30)
    let control = try ServerControl()
    let deadline = Date().addingTimeInterval(60)
    var status = try await control.ping(address, timeout: 5)
    while !condition(status), Date() < deadline {
        try await Task.sleep(for: .milliseconds(50))
        status = try await control.ping(address, timeout: 5)
    }
    return status
}

/// Every one of the 6 training simulations scored, each over its 20 samples.
func everySampleScored(_ scores: [Int: SimulationScore], samples: Int = 20) -> Bool {
    scores.keys.sorted() == Array(0..<6) && scores.values.allSatisfy { $0.samples == samples }
}

/// `relative` closeness of two numbers.
func close(_ a: Double, _ b: Double, _ relative: Double) -> Bool {
    abs(a - b) <= relative * max(abs(a), abs(b), 1e-12)
}

/// Streams the two simulations of the normalisation's warm-up, then the other four training ones, simulation 3 with
/// noise; the held-out ones (6, 7) are left, so reception goes on and a reservoir keeps rereading.
func streamTrainingWithANoisySimulation(_ plan: Plan, directory: URL, waitForWarmup: () async throws -> Void)
    async throws
{
    try stream(plan, directory: directory, ids: [0, 1])
    try await waitForWarmup()
    try stream(plan, directory: directory, ids: [2, 3, 4, 5], fields: noise(for: 3))
}

@Suite(.serialized) struct ScoreTests {
    @Test func aSimulationHardToFitGetsAClearlyHigherLossAndReservoirRereadsUpdateTheScores() async throws {
        let (plan, directory) = try plannedStudy(smallStudy(policy: .reservoir))
        defer { try? FileManager.default.removeItem(at: directory) }
        let running = try RunningServer(directory: directory)
        try await streamTrainingWithANoisySimulation(plan, directory: directory) {
            try await waitUntilAccepted(40, directory: directory)
        }
        let first = try await waitForStatus(directory) { status in
            everySampleScored(status.scores) && status.scores.values.allSatisfy { $0.reads >= 60 }
        }
        try #require(everySampleScored(first.scores), "scores: \(first.scores)")
        let hard = try #require(first.scores[3])
        for id in [0, 1, 2, 4, 5] {
            let easy = try #require(first.scores[id])
            #expect(hard.loss > 5 * easy.loss, "simulation 3 (noise) \(hard.loss) against \(id) \(easy.loss)")
            #expect(easy.reads > easy.samples, "the reservoir rereads")
        }
        // The raw status: one object a simulation, in id order, with exactly the documented keys.
        let raw = try serverStatus(try ServerAddress.read(fromDirectory: directory, timeout: 5))
        let objects = try #require(raw["scores"] as? [[String: Any]])
        #expect(objects.compactMap { $0["id"] as? Int } == Array(0..<6))
        #expect(objects.allSatisfy { Set($0.keys) == ["id", "loss", "first_loss", "reads", "samples"] })

        // More rereads later: every sample's loss is replaced at each read, its first one stays.
        let later = try await waitForStatus(directory) { status in
            (status.scores[0]?.reads ?? 0) > first.scores[0]!.reads + 200
        }
        for id in 0..<6 {
            let before = try #require(first.scores[id])
            let after = try #require(later.scores[id])
            #expect(after.reads > before.reads)
            #expect(after.loss != before.loss, "repeated reads update simulation \(id)'s loss")
            #expect(
                after.firstLoss == before.firstLoss, "the first reads are over: simulation \(id)'s first loss stays")
        }
        #expect(try #require(later.scores[0]).delta > 0, "training on the smooth simulation lowered its loss")

        try stream(plan, directory: directory, ids: [6, 7])
        #expect(try running.wait() == 0)
        let final = try scoreFile(directory)
        #expect(everySampleScored(final), "the reservoir's drain reads every sample")
        let trained = try #require(try metrics(directory).last?["trained"] as? Int)
        #expect(final.values.reduce(0) { $0 + $1.reads } == trained, "every read is some simulation's")
        for id in [0, 1, 2, 4, 5] { #expect(final[3]!.loss > 5 * final[id]!.loss) }
    }

    @Test func theScoresSurviveACheckpointAndARestart() async throws {
        let (plan, directory) = try plannedStudy(smallStudy(policy: .reservoir))
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try RunningServer(directory: directory)
        try await streamTrainingWithANoisySimulation(plan, directory: directory) {
            try await waitUntilAccepted(40, directory: directory)
        }
        let running = try await waitForStatus(directory) { everySampleScored($0.scores) }
        try #require(everySampleScored(running.scores))
        first.server.requestStop()
        #expect(try first.wait() == 143)
        let stopped = try scoreFile(directory)
        #expect(everySampleScored(stopped), "a server stopped on request writes its scores too")

        // The checkpoint holds the table the scores were taken from.
        let checkpoint = try ServerCheckpoint.read(from: first.server.checkpointURL)
        #expect(checkpoint.buffer.allSatisfy { $0.sample.origin != nil }, "the buffered samples keep their origin")
        for (id, score) in stopped {
            let sums = try #require(checkpoint.scores[UInt32(id)]?.sums)
            #expect(sums.reads == score.reads && sums.samples == score.samples)
            #expect(close(sums.loss ?? 0, score.loss, 1e-12) && close(sums.firstLoss ?? 0, score.firstLoss, 1e-12))
        }

        let second = try RunningServer(directory: directory, restart: true)
        let restarted = try await waitForStatus(directory) { !$0.scores.isEmpty }
        for (id, score) in stopped {
            let again = try #require(restarted.scores[id], "simulation \(id) scored after the restart")
            #expect(again.samples == score.samples)
            #expect(again.reads >= score.reads)
            #expect(close(again.firstLoss, score.firstLoss, 1e-3), "the status rounds to 4 digits")
        }
        try stream(plan, directory: directory, ids: [6, 7])
        #expect(try second.wait() == 0)
        let final = try scoreFile(directory)
        #expect(everySampleScored(final))
        for (id, score) in stopped {
            #expect(final[id]!.firstLoss == score.firstLoss, "simulation \(id)'s first reads were before the stop")
            #expect(final[id]!.reads > score.reads)
        }
        let trained = try #require(try metrics(directory).last?["trained"] as? Int)
        #expect(final.values.reduce(0) { $0 + $1.reads } == trained, "the reads of both runs, none lost")
        #expect(final[3]!.loss > 5 * final[0]!.loss)
    }

    @Test(.requiresMPI, .requiresProduct("melissa"))
    func twoRanksScoresAreTheSumsOfTheirParts() async throws {
        var study = smallStudy(policy: .reservoir)
        study.training.ranks = 2
        let (plan, directory) = try plannedStudy(study)
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try startMPIServer(directory)
        try await streamTrainingWithANoisySimulation(plan, directory: directory) {
            try waitForSamples(try ServerAddress.read(fromDirectory: directory, timeout: 30), atLeast: 40)
        }
        // Each rank holds 10 of a simulation's 20 steps ((simulation + step) mod 2): 20 samples a simulation in the
        // status is both ranks' together.
        // Compared once every sample was reread a few times, as with one rank: at its first reads the smooth
        // simulations are not fitted yet.
        let running = try await waitForStatus(directory) { status in
            everySampleScored(status.scores) && status.scores.values.allSatisfy { $0.reads >= 60 }
        }
        #expect(everySampleScored(running.scores), "rank 0's status has every rank's samples: \(running.scores)")
        // The noisy simulation stands out (by 3× here: each rank's reservoir trains on half of every simulation, so
        // the smooth ones are fitted more slowly than with one rank, where it is 5×).
        for id in [0, 1, 2, 4, 5] { #expect(running.scores[3]!.loss > 3 * (running.scores[id]?.loss ?? .infinity)) }

        try stream(plan, directory: directory, ids: [6, 7])
        let status = try finish(server, directory: directory)
        try #require(status == 0, "mpirun ended with \(status):\n\(serverLogs(directory))")
        let final = try scoreFile(directory)
        #expect(everySampleScored(final))
        let checkpoints = try rankCheckpoints(directory)
        for id in 0..<6 {
            let parts = try checkpoints.map { try #require($0.scores[UInt32(id)]?.sums) }
            #expect(parts.map(\.samples) == [10, 10], "simulation \(id)'s samples split across the ranks")
            let total = parts[0].adding(parts[1])
            let score = try #require(final[id])
            #expect(score.reads == total.reads && score.samples == total.samples)
            #expect(close(score.loss, total.loss ?? 0, 1e-12), "sums and counts added, not means")
            #expect(close(score.firstLoss, total.firstLoss ?? 0, 1e-12))
        }
        let trained = try #require(try metrics(directory).last?["trained"] as? Int)
        #expect(final.values.reduce(0) { $0 + $1.reads } == trained)
    }
}

@Test func aCheckpointKeepsTheScoresAndTheBufferedSamplesOriginsAndAnOlderOneIsReadWithout() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    var checkpoint = try sampleCheckpoint(batches: 30)
    checkpoint.buffer[0].sample.origin = SampleOrigin(simulationID: 1, timeStep: 0, parameterSet: 2)
    checkpoint.buffer[2].sample.origin = SampleOrigin(simulationID: 1, timeStep: 2)
    checkpoint.scores = [
        1: SimulationLossTable.Entry(parameterSet: 2, latest: [0.25, -1, 0.5, -1], firstSum: 1.5, reads: 7),
        // More reads than a u32 holds, and a sum that only a double keeps.
        9: SimulationLossTable.Entry(
            parameterSet: 0, latest: [0.125], firstSum: 0.123_456_789_012_345_67, reads: 5_000_000_000),
    ]
    let current = directory.appendingPathComponent("v3.melissa")
    try checkpoint.write(to: current)
    let read = try ServerCheckpoint.read(from: current)
    #expect(read.scores == checkpoint.scores)
    #expect(read.buffer.map(\.sample) == checkpoint.buffer.map(\.sample), "with their origins")
    #expect(read.buffer.map(\.sample.origin).compactMap { $0 }.count == 2)

    // The same contents as version 2 wrote them: no origins, no scores.
    let contents = try BinaryArchive.read(from: current)
    var metadata = try contents.metadata(ServerCheckpoint.Metadata.self)
    metadata.version = 2
    var archive = BinaryArchive()
    try archive.setMetadata(metadata)
    for name in ["parameters", "first_moment", "second_moment", "buffer", "validation"] {
        archive.add(name, floats: try contents.floats(name))
    }
    archive.add("received", integers: try contents.integers("received"))
    let old = directory.appendingPathComponent("v2.melissa")
    try archive.write(to: old)
    let older = try ServerCheckpoint.read(from: old)
    #expect(older.scores.isEmpty)
    #expect(older.buffer.allSatisfy { $0.sample.origin == nil }, "samples of unknown origin, not scored")
    #expect(older.buffer.map(\.sample.output) == checkpoint.buffer.map(\.sample.output))
    #expect(older.received == checkpoint.received)

    // A version-3 file without its score arrays is refused, naming what it lacks.
    metadata.version = 3
    try archive.setMetadata(metadata)
    try archive.write(to: old)
    let message = checkpointError { _ = try ServerCheckpoint.read(from: old) }
    #expect(message?.contains("buffer_origins") == true, "\(message ?? "read")")
}

@Test func theStatusRoundsTheLossesToFourDigitsAndScoresJSONKeepsThemWhole() throws {
    let scores = [
        TrainingScore(id: 3, loss: 0.012_345_678, firstLoss: 0.05, reads: 812, samples: 100),
        TrainingScore(id: 12, loss: 123_456.7, firstLoss: .nan, reads: 1, samples: 1),
        TrainingScore(id: 13, loss: 1.234_567e-7, firstLoss: 0, reads: 2, samples: 1),
    ]
    let rounded = TrainingScore.jsonArray(scores, significantDigits: 4)
    #expect(
        rounded
            == "[{\"id\":3,\"loss\":0.01235,\"first_loss\":0.05,\"reads\":812,\"samples\":100},"
            + "{\"id\":12,\"loss\":123500.0,\"first_loss\":null,\"reads\":1,\"samples\":1},"
            + "{\"id\":13,\"loss\":1.235e-07,\"first_loss\":0.0,\"reads\":2,\"samples\":1}]")
    let decoded = SimulationScore.scores(fromJSON: try JSONSerialization.jsonObject(with: Data(rounded.utf8)))
    #expect(decoded[3] == SimulationScore(loss: 0.01235, firstLoss: 0.05, reads: 812, samples: 100))
    #expect(decoded[3].map { abs($0.delta - 0.03765) < 1e-12 } == true)
    #expect(decoded[12]?.firstLoss == 123_500, "a first loss that is not a number reads as the loss")
    let whole = TrainingScore.jsonArray(scores)
    let exact = SimulationScore.scores(fromJSON: try JSONSerialization.jsonObject(with: Data(whole.utf8)))
    #expect(exact[3]?.loss == 0.012_345_678 && exact[13]?.loss == 1.234_567e-7)
    // About 70 bytes a simulation at 4 digits (docs/protocol.md).
    let many = (0..<1000).map { (index: Int) -> TrainingScore in
        let scale = Double(index + 1)
        return TrainingScore(id: 10_000 + index, loss: 0.1 / scale, firstLoss: 1 / scale, reads: 812, samples: 100)
    }
    #expect(TrainingScore.jsonArray(many, significantDigits: 4).utf8.count < 80 * 1000)
}
