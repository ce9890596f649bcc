import Foundation
import Ingest
import MelissaTestSupport
import PlanModel
import Planning
import StudySpec
import Testing
import Training
import Transport
import WireProtocol

@testable import Server

/// `mpirun -np ranks melissa server DIR` (its output in DIR/server-run-N.log, for a failing test's message).
func startMPIServer(_ directory: URL, ranks: Int = 2, restart: Bool = false) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: HostTools.mpirun ?? "/usr/bin/mpirun")
    process.arguments =
        ["--allow-run-as-root", "--oversubscribe", "-np", String(ranks), melissaBinary.path, "server", directory.path]
        + (restart ? ["--restart"] : [])
    let log = directory.appendingPathComponent("server-run-\(restart ? 2 : 1).log")
    _ = FileManager.default.createFile(atPath: log.path, contents: nil)
    let handle = try FileHandle(forWritingTo: log)
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    return process
}

/// Waits for `process` (ending it after a generous grace period, so a deadlock fails the test instead of hanging it).
func finish(_ process: Process, directory: URL) throws -> Int32 {
    let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
    DispatchQueue.global().asyncAfter(deadline: .now() + 240, execute: watchdog)
    process.waitUntilExit()
    watchdog.cancel()
    return process.terminationStatus
}

func serverLogs(_ directory: URL) -> String {
    (1...2).compactMap {
        try? String(contentsOf: directory.appendingPathComponent("server-run-\($0).log"), encoding: .utf8)
    }.joined(separator: "\n---\n")
}

/// The rank checkpoints of a 2-rank server.
func rankCheckpoints(_ directory: URL) throws -> [ServerCheckpoint] {
    try (0..<2).map {
        try ServerCheckpoint.read(from: directory.appendingPathComponent("checkpoint-rank\($0).melissa"))
    }
}

/// Every (simulation, time step) of the plan received exactly once over the ranks, each on the rank routing sends it
/// to ((simulation + step) mod ranks).
func expectEveryStepOnceOnItsRank(_ checkpoints: [ServerCheckpoint], simulations: Int, steps: UInt32) {
    var seen: [UInt64: Int] = [:]
    for (rank, checkpoint) in checkpoints.enumerated() {
        #expect(checkpoint.rank == rank)
        for (id, sets) in checkpoint.received {
            for step in sets[0] ?? [] {
                #expect((Int(id) + Int(step)) % checkpoints.count == rank, "step \(step) of \(id) on rank \(rank)")
                seen[UInt64(id) << 32 | UInt64(step), default: 0] += 1
            }
        }
    }
    #expect(seen.count == simulations * Int(steps))
    #expect(seen.values.allSatisfy { $0 == 1 })
}

/// A `ping` to the server's control socket; the `status` JSON.
func serverStatus(_ address: ServerAddress) throws -> [String: Any] {
    let context = try ZMQContext()
    defer { context.shutdown() }
    let dealer = try Socket(context: context, type: .dealer)
    defer { dealer.close() }
    try dealer.setOption(.linger, 0)
    try dealer.setOption(.receiveTimeout, 30_000)
    try dealer.connect(address.control)
    try dealer.send(PingMessage(sequence: 1).encoded())
    let reply = try dealer.receiveFrames()?.frames.last ?? []
    let status = try StatusMessage.decode(reply)
    return try JSONSerialization.jsonObject(with: Data(status.json)) as? [String: Any] ?? [:]
}

/// Waits (at most 60 s) until the server's status counts `count` samples.
func waitForSamples(_ address: ServerAddress, atLeast count: Int) throws {
    let deadline = Date().addingTimeInterval(60)
    while try serverStatus(address)["samples"] as? Int ?? 0 < count, Date() < deadline { usleep(20_000) }
}

/// Restarts the 2-rank server from its checkpoints, streams every simulation again as attempt 1, and checks that each
/// (simulation, step) was received once and each training sample trained once across the restart.
func restartAndExpectEverySampleOnce(_ plan: Plan, directory: URL) throws {
    let second = try startMPIServer(directory, restart: true)
    try stream(plan, directory: directory, ids: Array(0..<8), attempt: 1)
    let status = try finish(second, directory: directory)
    try #require(status == 0, "the restarted server ended with \(status):\n\(serverLogs(directory))")
    let last = try metrics(directory).last
    #expect(last?["received"] as? Int == 160)
    // What the ranks trained after their last common checkpoint was rolled back and trained again: once each.
    #expect(last?["trained"] as? Int == 120)
    expectEveryStepOnceOnItsRank(try rankCheckpoints(directory), simulations: 8, steps: 20)
}

@Suite(.serialized) struct MultiRankServerTests {
    @Test(
        .requiresMPI, .requiresProduct("melissa"),
        arguments: [BufferSpec.Policy.fifo, .firo])
    func twoRanksTrainEverySampleOnceWithIdenticalWeights(policy: BufferSpec.Policy) throws {
        var study = smallStudy(policy: policy)
        study.training.ranks = 2
        let (plan, directory) = try plannedStudy(study)
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try startMPIServer(directory)
        try stream(plan, directory: directory, ids: Array(0..<8))
        let status = try finish(server, directory: directory)
        try #require(status == 0, "mpirun ended with \(status):\n\(serverLogs(directory))")

        let last = try metrics(directory).last
        #expect(last?["received"] as? Int == 160, "every (simulation, step) received once over both ranks")
        // FIFO and FIRO read each training sample exactly once: 6 simulations × 20 steps over both ranks.
        #expect(last?["trained"] as? Int == 120)
        let checkpoints = try rankCheckpoints(directory)
        expectEveryStepOnceOnItsRank(checkpoints, simulations: 8, steps: 20)
        #expect(checkpoints.allSatisfy { $0.buffer.isEmpty }, "both buffers drained")
        #expect(checkpoints[0].trainer.parameters == checkpoints[1].trainer.parameters, "identical weights")
        #expect(checkpoints[0].trainer.step == checkpoints[1].trainer.step)
        #expect(checkpoints[0].batches == checkpoints[1].batches)
        #expect(checkpoints[1].validation.values.reduce(0) { $0 + $1.count } > 0, "rank 1 held validation steps")
        let surrogate = try Surrogate(contentsOf: directory.appendingPathComponent("model.melissa"))
        #expect(surrogate.parameters == checkpoints[0].trainer.parameters, "the model is the trained weights")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("server.address").path))
    }

    @Test(.requiresMPI, .requiresProduct("melissa"))
    func aTwoRankServerKilledWithSIGKILLRestartsWithoutLosingOrRepeatingSamples() throws {
        var study = smallStudy(policy: .firo)
        study.training.ranks = 2
        study.training.checkpointEveryBatches = 2
        let (plan, directory) = try plannedStudy(study)
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try startMPIServer(directory)
        let address = try ServerAddress.read(fromDirectory: directory, timeout: 60)
        try stream(plan, directory: directory, ids: [0, 1, 2, 6])
        let files = (0..<2).map { directory.appendingPathComponent("checkpoint-rank\($0).melissa").path }
        let deadline = Date().addingTimeInterval(60)
        while !files.allSatisfy({ FileManager.default.fileExists(atPath: $0) }), Date() < deadline { usleep(20_000) }
        try #require(files.allSatisfy { FileManager.default.fileExists(atPath: $0) }, "no checkpoints were written")
        // Rank 0 dies; mpirun ends the job.
        kill(pid_t(address.pid), SIGKILL)
        let killed = try finish(first, directory: directory)
        #expect(killed != 0)
        try? FileManager.default.removeItem(at: directory.appendingPathComponent("server.address"))

        try restartAndExpectEverySampleOnce(plan, directory: directory)
        let checkpoints = try rankCheckpoints(directory)
        #expect(checkpoints[0].trainer.parameters == checkpoints[1].trainer.parameters)
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("model.melissa").path))
    }

    @Test(.requiresMPI, .requiresProduct("melissa"))
    func aSIGTERMToOneRankStopsBothAtTheSameBatchWithACheckpoint() throws {
        var study = smallStudy(policy: .firo)
        study.training.ranks = 2
        let (plan, directory) = try plannedStudy(study)
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try startMPIServer(directory)
        let address = try ServerAddress.read(fromDirectory: directory, timeout: 60)
        try stream(plan, directory: directory, ids: [0, 1, 6])
        try stream(plan, directory: directory, ids: [2], steps: 0..<10, finish: false)
        // Once both ranks hold what was sent, only rank 0 gets the signal; the ranks agree on it at their next step.
        try waitForSamples(address, atLeast: 70)
        kill(pid_t(address.pid), SIGTERM)
        let stopped = try finish(first, directory: directory)
        #expect(stopped != 0)
        let checkpoints = try rankCheckpoints(directory)
        #expect(checkpoints[0].batches == checkpoints[1].batches, "both ranks checkpointed the same batch")
        #expect(checkpoints[0].trainer.parameters == checkpoints[1].trainer.parameters)
        let received = checkpoints.flatMap { $0.received.values.flatMap { $0.values.map(\.count) } }.reduce(0, +)
        #expect(received == 70, "three whole simulations and half of a fourth were received")

        try restartAndExpectEverySampleOnce(plan, directory: directory)
    }

    @Test(.requiresMPI, .requiresProduct("melissa"))
    func aGiveUpAtRankZeroEndsReceptionOnEveryRank() throws {
        var study = smallStudy(policy: .fifo)
        study.training.ranks = 2
        let (plan, directory) = try plannedStudy(study)
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try startMPIServer(directory)
        let address = try ServerAddress.read(fromDirectory: directory, timeout: 60)
        // Simulation 5 sends half its steps (some to each rank) and dies; the launcher gives it up.
        try stream(plan, directory: directory, ids: [0, 1, 2, 3, 4, 6, 7])
        try stream(plan, directory: directory, ids: [5], steps: 0..<10, finish: false)
        try waitForSamples(address, atLeast: 150)
        let context = try ZMQContext()
        let dealer = try Socket(context: context, type: .dealer)
        try dealer.setOption(.linger, 0)
        try dealer.setOption(.receiveTimeout, 30_000)
        try dealer.connect(address.control)
        try dealer.send(GiveUpMessage(simulationID: 5).encoded())
        let reply = try StatusMessage.decode(try dealer.receiveFrames()?.frames.last ?? [])
        #expect(reply.sequence == 0)
        dealer.close()
        context.shutdown()

        // Rank 1 never sees the give-up itself: it learns it from rank 0, and both drain and end.
        let status = try finish(server, directory: directory)
        try #require(status == 0, "mpirun ended with \(status):\n\(serverLogs(directory))")
        let last = try metrics(directory).last
        #expect(last?["received"] as? Int == 150)
        #expect(last?["trained"] as? Int == 110)
    }

    @Test(.requiresMPI, .requiresProduct("melissa"))
    func wrongTokenDataAtRankOneIsRejectedAndCountedWhileItServes() throws {
        var study = smallStudy(policy: .firo)
        study.training.ranks = 2
        let (plan, directory) = try plannedStudy(study)
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try startMPIServer(directory)
        let address = try ServerAddress.read(fromDirectory: directory, timeout: 60)
        try #require(address.data.count == 2)

        // Step 1 of simulation 0 is rank 1's. A session made with another token, then bytes that are no message.
        let wrongKey = SessionKey(token: Array(String(repeating: "f", count: 64).utf8))
        let context = try ZMQContext()
        let push = try Socket(context: context, type: .push)
        try push.setOption(.linger, 1000)
        try push.connect(address.data[1])
        let values = [Float](repeating: 1, count: 50)
        let header = DataHeader(
            simulationID: 0, attempt: 0, session: wrongKey.session(simulationID: 0, attempt: 0), timeStep: 1, rank: 0,
            fieldIndex: 0, elementType: .float32, elementCount: 50, offset: 0)
        for _ in 0..<3 {
            try push.send(header.encoded(), more: true)
            try push.send(values.withUnsafeBytes { Array($0) })
        }
        try push.send(Array("not a melissa message".utf8))
        push.close()
        context.shutdown()

        // Rank 0 learns rank 1's counters at its next step; the status shows them.
        var rejected: [String: Int] = [:]
        let deadline = Date().addingTimeInterval(60)
        while rejected["session", default: 0] < 3 || rejected["magic", default: 0] < 1, Date() < deadline {
            rejected = try serverStatus(address)["rejected"] as? [String: Int] ?? [:]
            if rejected["session", default: 0] < 3 { usleep(50_000) }
        }
        #expect(rejected["session"] == 3)
        #expect(rejected["magic"] == 1)

        // Rank 1 keeps serving: the study completes with every step received once.
        try stream(plan, directory: directory, ids: Array(0..<8))
        let status = try finish(server, directory: directory)
        try #require(status == 0, "mpirun ended with \(status):\n\(serverLogs(directory))")
        #expect(try metrics(directory).last?["received"] as? Int == 160)
        expectEveryStepOnceOnItsRank(try rankCheckpoints(directory), simulations: 8, steps: 20)
    }

    /// Issue 14, items 10 and 9 on 2 ranks: rank 0 serves registration, so it rejects (`session`) data for an attempt
    /// that never registered even when its session is right, as the one-process server does; a simulation whose
    /// finish came with a step missing is `incomplete` in the status until its resubmission completes it.
    @Test(.requiresMPI, .requiresProduct("melissa"))
    func rankZeroRejectsUnregisteredDataAndAnIncompleteSimulationIsReported() throws {
        var study = smallStudy(policy: .fifo)
        study.training.ranks = 2
        let (plan, directory) = try plannedStudy(study)
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try startMPIServer(directory)
        let address = try ServerAddress.read(fromDirectory: directory, timeout: 60)
        try #require(address.data.count == 2)

        // Step 0 of simulation 0 is rank 0's; the session is the right one, but simulation 0 never registered.
        let token = try studyToken(plan)
        let context = try ZMQContext()
        let push = try Socket(context: context, type: .push)
        try push.setOption(.linger, 5_000)
        try push.connect(address.data[0])
        let header = DataHeader(
            simulationID: 0, attempt: 0, session: SessionKey(token: token).session(simulationID: 0, attempt: 0),
            timeStep: 0, rank: 0, fieldIndex: 0, elementType: .float32, elementCount: 50, offset: 0)
        try push.send(header.encoded(), more: true)
        try push.send([Float](repeating: 1, count: 50).withUnsafeBytes { Array($0) })
        push.close()
        context.shutdown()
        _ = try waitForServerStatus(address) {
            ($0["rejected"] as? [String: Int])?["session"] ?? 0 > 0 || $0["samples"] as? Int ?? 0 > 0
        }
        let status = try serverStatus(address)
        #expect((status["rejected"] as? [String: Int])?["session"] == 1)
        #expect(status["samples"] as? Int == 0, "nothing of the unregistered attempt was accepted")

        // Simulation 5 finishes with step 19 (rank 0's) missing.
        try stream(plan, directory: directory, ids: [5], steps: 0..<19)
        let incomplete = try waitForServerStatus(address) { statusList($0, "incomplete") == [5] }
        #expect(incomplete, "simulation 5 is incomplete in the status")
        #expect(statusList(try serverStatus(address), "finished")?.contains(5) == false)

        try stream(plan, directory: directory, ids: [0, 1, 2, 3, 4, 6, 7])
        try stream(plan, directory: directory, ids: [5], attempt: 1)
        let exit = try finish(server, directory: directory)
        try #require(exit == 0, "mpirun ended with \(exit):\n\(serverLogs(directory))")
        let last = try metrics(directory).last
        #expect(last?["received"] as? Int == 160)
        #expect(last?["trained"] as? Int == 120)
        expectEveryStepOnceOnItsRank(try rankCheckpoints(directory), simulations: 8, steps: 20)
    }
}
