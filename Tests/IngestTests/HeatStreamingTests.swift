import Foundation
import Ingest
import MelissaClient
import MelissaTestSupport
import Testing
import Transport
import WireProtocol

/// The repository root, and the heat solver `scripts/build-clients` builds there.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
let heatSolver = repositoryRoot.appendingPathComponent("build/bin/heat-pde")
let mpirun = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first { FileManager.default.isExecutableFile(atPath: $0) }

/// One heat-pde simulation under `mpirun -np 2`, in its own process group.
func startHeat(_ study: URL, simulation: Int, attempt: Int, dump: URL, stepDelay: String? = nil) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: mpirun ?? "mpirun")
    process.arguments =
        ["--allow-run-as-root", "--oversubscribe", "--mca", "btl_tcp_if_include", "lo", "-np", "2", heatSolver.path]
        + ["--mesh", "20", "--steps", "10", "--dump", dump.path] + (stepDelay.map { ["--step-delay", $0] } ?? [])
        + ["300", "100", "500", "\(200 + simulation)", "400"]
    var environment = ProcessInfo.processInfo.environment
    environment["MELISSA_STUDY_DIR"] = study.path
    environment["MELISSA_SERVER_ADDRESS_FILE"] = study.appendingPathComponent("server.address").path
    environment["MELISSA_TOKEN_FILE"] = study.appendingPathComponent("token").path
    environment["MELISSA_SIMULATION_ID"] = String(simulation)
    environment["MELISSA_ATTEMPT"] = String(attempt)
    environment["MELISSA_TIME_STEPS"] = "10"
    environment["MELISSA_CONNECT_TIMEOUT"] = "60"
    process.environment = environment
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    return process
}

/// The float64 field a heat-pde run dumped, step-major.
func dumpedSteps(_ url: URL) throws -> [[Double]] {
    let data = try Data(contentsOf: url)
    let values = data.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
    return stride(from: 0, to: values.count, by: 400).map { Array(values[$0..<min($0 + 400, values.count)]) }
}

/// The end-to-end check of the data plane: a real server (the Swift ingest, 2 training ranks) and three
/// heat-equation simulations under mpirun (2 ranks each), one of them killed mid-run and restarted, while wrong-token
/// registrations and garbage arrive: every (simulation, step) is received exactly once, equal to what the solver
/// computed (float64 sent, stored as float32: equal to the float32 rounding of the solver's value), and the bad
/// traffic is rejected and counted.
@Test(.requiresHeatSolver)
func heatSimulationsStreamToTheRealServerExactlyOnce() async throws {
    let study = FileManager.default.temporaryDirectory.appendingPathComponent("melissa-heat-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: study, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: study) }
    try (String(decoding: testToken, as: UTF8.self) + "\n").write(
        to: study.appendingPathComponent("token"), atomically: true, encoding: .utf8)
    var config = configuration(
        simulations: 0..<3, fields: [FieldDeclaration(name: "temperature", size: 400)], timeSteps: 10, ranks: 2)
    config.studyDirectory = study
    let sinks = [CollectingSink(), CollectingSink()]
    let server = try IngestServer(configuration: config, sinks: sinks)
    let address = try server.start()
    defer { server.stop() }

    // Bad traffic while the good flows: a wrong token, and garbage straight onto a data endpoint.
    let context = try ZMQContext()
    defer { context.shutdown() }
    let intruder = SimulationIdentity(
        simulationID: 1, attempt: 0, ranks: 1, timeSteps: 10, fields: config.fields)
    #expect(throws: StreamingClientError.self) {
        _ = try StreamingClient.register(
            context: context, endpoint: address.registration, token: Array(repeating: UInt8(ascii: "f"), count: 64),
            identity: intruder, timeout: 30)
    }
    let garbage = try Socket(context: context, type: .push)
    try garbage.setOption(.linger, 1000)
    try garbage.connect(address.data[0])
    for _ in 0..<5 { try garbage.send(Array("not a melissa message".utf8)) }
    garbage.close()

    // Simulation 2's first attempt is killed once it has sent a few steps, then restarted.
    let slow = try startHeat(
        study, simulation: 2, attempt: 0, dump: study.appendingPathComponent("dump-2-a0"), stepDelay: "0.3")
    let others = try [0, 1].map {
        try startHeat(study, simulation: $0, attempt: 0, dump: study.appendingPathComponent("dump-\($0)"))
    }
    let deadline = Date().addingTimeInterval(60)
    while server.completedTimeSteps(of: 2).count < 3, slow.isRunning, Date() < deadline { usleep(20_000) }
    #expect(slow.isRunning, "the first attempt ended before it could be killed")
    kill(slow.processIdentifier, SIGKILL)
    slow.waitUntilExit()
    let received = server.completedTimeSteps(of: 2).count
    #expect(received >= 3)
    let restarted = try startHeat(study, simulation: 2, attempt: 1, dump: study.appendingPathComponent("dump-2"))
    for process in others + [restarted] { process.waitUntilExit() }
    #expect((others + [restarted]).allSatisfy { $0.terminationStatus == 0 })
    #expect(await server.wait(timeout: .seconds(60)), "reception did not end")

    let samples = sinks.flatMap(\.collected)
    for simulation in 0..<3 {
        let mine = samples.filter { $0.simulationID == simulation }
        #expect(mine.map(\.timeStep).sorted() == Array(0..<10), "simulation \(simulation): steps received once each")
        let dumped = try dumpedSteps(study.appendingPathComponent("dump-\(simulation)"))
        for sample in mine {
            let expected = dumped[Int(sample.timeStep)].map(Float.init)
            #expect(sample.values.array == expected, "simulation \(simulation), step \(sample.timeStep) differs")
        }
        // Each step went to training rank (s + t) mod 2.
        for (rank, sink) in sinks.enumerated() {
            #expect(sink.collected.allSatisfy { (Int($0.simulationID) + Int($0.timeStep)) % 2 == rank })
        }
    }
    let statistics = server.statistics
    #expect(statistics.samples == 30)
    #expect(statistics.duplicates >= received, "the restarted attempt's repeated steps were dropped")
    #expect(statistics.rejected(.token) == 1)
    #expect(statistics.totalRejected >= 6)
}
