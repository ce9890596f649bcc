import Foundation
import Ingest
import Launching
import MelissaClient
import MelissaTestSupport
import PlanModel
import Planning
import Sampling
import Server
import StudySpec
import Testing
import Training
import Transport
import WireProtocol

/// A small study: 6 training and 2 validation simulations of 20 steps, a 50-value field that is a smooth function of
/// the two parameters and the step, a reservoir, a small network; the normalisation's warm-up spans 2 simulations
/// (tests stream a few simulations, then stop or kill the server).
func smallStudy(policy: BufferSpec.Policy = .reservoir) -> Study {
    Study(
        info: StudyInfo(name: "server-test", seed: 5),
        parameters: [
            Parameter(name: "a", distribution: .uniform(lower: 0.5, upper: 1.5)),
            Parameter(name: "b", distribution: .uniform(lower: -1, upper: 1)),
        ],
        sampler: SamplerSpec(kind: .sobol, count: 6, scramble: .none),
        simulation: SimulationSpec(
            command: "true", fields: [FieldSpec(name: "u", size: 50)], timeSteps: 20, timeoutSeconds: 60),
        buffer: BufferSpec(policy: policy, capacity: 200, watermark: 20),
        training: TrainingSpec(
            model: ModelSpec(hidden: [32]), batchSize: 8, optimizer: OptimizerSpec(learningRate: 3e-3),
            validation: ValidationSpec(simulations: 2, everyBatches: 10), checkpointEveryBatches: 25,
            normalization: NormalizationSpec(warmupSimulations: 2))
    )
}

func field(_ values: [Double], step: UInt32) -> [Float] {
    let a = Float(values[0])
    let b = Float(values[1])
    return (0..<50).map { index in a * sin(Float(index) / 10 + Float(step) / 5) + b }
}

/// Plans `study` into a fresh directory.
func plannedStudy(_ study: Study) throws -> (Plan, URL) {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("melissa-server-\(UUID().uuidString)")
    let plan = try Planner.plan(
        PlanInput(
            study: study, studyFileDirectory: directory, studyDirectory: directory, melissaExecutable: "/bin/true"))
    _ = try PlanWriter(templates: try TemplateSet()).write(plan)
    return (plan, directory)
}

/// Streams simulations (each on its own thread) and waits for them; a refusal because a simulation already finished
/// is not an error (a restarted server had all its steps). `override` gives some simulations other values than the
/// plan's (a redraw); `fields` gives some simulations' time steps another field than ``field(_:step:)`` (nil: that
/// one).
func stream(
    _ plan: Plan, directory: URL, ids: [Int], attempt: UInt32 = 0, steps: Range<UInt32> = 0..<20, finish: Bool = true,
    values override: [Int: [Double]] = [:], fields: (@Sendable (Int, UInt32) -> [Float]?)? = nil
) throws {
    let context = try ZMQContext()
    defer { context.shutdown() }
    let address = try ServerAddress.read(fromDirectory: directory, timeout: 30)
    let token = Array(
        try String(contentsOfFile: plan.tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines).utf8
    )
    let failures = Failures()
    let group = DispatchGroup()
    for id in ids {
        let job = plan.simulations[id]
        let values =
            override[id]
            ?? plan.namedValues(of: job).map { named -> Double in
                if case .real(let value) = named.value { return value }
                return 0
            }
        group.enter()
        Thread {
            defer { group.leave() }
            do {
                let identity = SimulationIdentity(
                    simulationID: UInt32(id), attempt: attempt, ranks: 1, timeSteps: 20,
                    fields: [FieldDeclaration(name: "u", size: 50)])
                let registration: ClientRegistration
                do {
                    registration = try StreamingClient.register(
                        context: context, endpoint: address.registration, token: token, identity: identity, timeout: 30)
                } catch let error as StreamingClientError {
                    if case .refused(.finished, _) = error { return }
                    throw error
                }
                let client = try StreamingClient(context: context, identity: identity, registration: registration)
                for step in steps {
                    let sent = fields?(id, step) ?? field(values, step: step)
                    try client.send(timeStep: step, field: 0, values: sent)
                }
                if finish { try client.finish() }
                client.close()
            } catch {
                failures.add("simulation \(id): \(error)")
            }
        }.start()
    }
    group.wait()
    if let first = failures.first { throw ServerError.plan(first) }
}

final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [String] = []
    func add(_ message: String) { lock.withLock { messages.append(message) } }
    var first: String? { lock.withLock { messages.first } }
}

/// Runs a server on its own thread; `wait()` returns its exit status.
final class RunningServer: @unchecked Sendable {
    let server: TrainingServer
    private let done = DispatchSemaphore(value: 0)
    private var status: Int32 = -1
    private var failure: (any Error)?

    init(directory: URL, restart: Bool = false) throws {
        server = try TrainingServer(studyDirectory: directory, restart: restart, log: { _ in })
        Thread { [self] in
            do { status = try server.run() } catch { failure = error }
            done.signal()
        }.start()
    }

    func wait() throws -> Int32 {
        guard done.wait(timeout: .now() + 120) == .success else { throw ServerError.plan("the server did not end") }
        if let failure { throw failure }
        return status
    }
}

/// Waits (60 s at most) until the server of `directory` has turned `count` time steps into samples, so that a test
/// stopping it knows what the checkpoint must hold.
func waitUntilAccepted(_ count: Int, directory: URL) async throws {
    let address = try ServerAddress.read(fromDirectory: directory, timeout: 30)
    let control = try ServerControl()
    let deadline = Date().addingTimeInterval(60)
    while (try? await control.ping(address, timeout: 2))?.samples ?? 0 < count, Date() < deadline {
        try await Task.sleep(for: .milliseconds(20))
    }
}

func metrics(_ directory: URL) throws -> [[String: Any]] {
    try String(contentsOf: directory.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        .compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
}

@Test func theServerTrainsOnTheStreamAndExportsTheModel() async throws {
    let (plan, directory) = try plannedStudy(smallStudy())
    defer { try? FileManager.default.removeItem(at: directory) }
    let running = try RunningServer(directory: directory)
    // The held-out simulations first, all received before training starts: every validation loss is then measured
    // on the same samples, so the first and the last compare.
    try stream(plan, directory: directory, ids: [6, 7])
    try await waitUntilAccepted(40, directory: directory)
    try stream(plan, directory: directory, ids: Array(0..<6))
    #expect(try running.wait() == 0)

    let surrogate = try Surrogate(contentsOf: running.server.modelURL)
    #expect(surrogate.parameterNames == ["a", "b"])
    let prediction = try surrogate.predict(parameters: [1, 0], timeStep: 3)
    #expect(prediction.count == 50)

    let lines = try metrics(directory)
    #expect(lines.last?["received"] as? Int == 160)
    let validation = lines.compactMap { $0["validation_loss"] as? Double }
    #expect(validation.count >= 2)
    #expect((validation.last ?? .infinity) < (validation.first ?? 0), "validation loss should fall: \(validation)")
    for plot in ["loss", "buffer", "throughput"] {
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("report/\(plot).svg").path))
    }
    #expect(FileManager.default.fileExists(atPath: running.server.checkpointURL.path))
}

@Test func aStoppedServerRestartsFromItsCheckpointWithoutLosingOrRepeatingSamples() throws {
    let (plan, directory) = try plannedStudy(smallStudy(policy: .firo))
    defer { try? FileManager.default.removeItem(at: directory) }
    let first = try RunningServer(directory: directory)
    // Three simulations complete, a fourth sends half its steps; then the server is stopped (as by SIGTERM).
    try stream(plan, directory: directory, ids: [0, 1, 6])
    try stream(plan, directory: directory, ids: [2], steps: 0..<10, finish: false)
    first.server.requestStop()
    #expect(try first.wait() == 143)
    let stopped = try metrics(directory)

    // The restarted server drops what it already has: every simulation resends everything, as restarted ones would.
    let second = try RunningServer(directory: directory, restart: true)
    try stream(plan, directory: directory, ids: Array(0..<8), attempt: 1)
    #expect(try second.wait() == 0)
    let lines = try metrics(directory)
    #expect(lines.count > stopped.count)
    #expect(lines.last?["received"] as? Int == 160, "every (simulation, step) received exactly once across the restart")
    // FIRO reads each training sample exactly once: 6 simulations × 20 steps, none lost or repeated by the restart.
    #expect(lines.last?["trained"] as? Int == 120)
    #expect((stopped.last?["trained"] as? Int ?? 0) > 0, "the first server trained before it was stopped")
    let batches = lines.compactMap { $0["batch"] as? Int }
    #expect(batches == batches.sorted(), "training resumes where the checkpoint left it")
    #expect(FileManager.default.fileExists(atPath: second.server.modelURL.path))
}

/// The `melissa` binary beside the test bundle.
let melissaBinary = HostTools.product("melissa")

func startServerProcess(_ directory: URL, restart: Bool) throws -> Process {
    let process = Process()
    process.executableURL = melissaBinary
    process.arguments = ["server", directory.path] + (restart ? ["--restart"] : [])
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    return process
}

@Test(.requiresProduct("melissa"))
func aServerKilledWithSIGKILLRestartsFromItsLastCheckpoint() throws {
    var study = smallStudy(policy: .firo)
    study.training.checkpointEveryBatches = 2
    let (plan, directory) = try plannedStudy(study)
    defer { try? FileManager.default.removeItem(at: directory) }
    let first = try startServerProcess(directory, restart: false)
    try stream(plan, directory: directory, ids: [0, 1, 2, 6])
    let checkpoint = directory.appendingPathComponent("checkpoint.melissa")
    let deadline = Date().addingTimeInterval(60)
    while !FileManager.default.fileExists(atPath: checkpoint.path), Date() < deadline { usleep(20_000) }
    try #require(FileManager.default.fileExists(atPath: checkpoint.path), "no checkpoint was written")
    kill(first.processIdentifier, SIGKILL)
    first.waitUntilExit()
    #expect(first.terminationReason == .uncaughtSignal)
    // A killed server leaves its address behind; whoever restarts it removes it first (the launcher does).
    try FileManager.default.removeItem(at: directory.appendingPathComponent("server.address"))

    let second = try startServerProcess(directory, restart: true)
    try stream(plan, directory: directory, ids: Array(0..<8), attempt: 1)
    second.waitUntilExit()
    #expect(second.terminationStatus == 0)
    let last = try metrics(directory).last
    #expect(last?["received"] as? Int == 160)
    // What the killed server trained after its last checkpoint was rolled back and trained again: exactly once each.
    #expect(last?["trained"] as? Int == 120)
    #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("model.melissa").path))
}
