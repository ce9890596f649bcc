import Foundation
import Ingest
import MelissaTestSupport
import Testing
import WireProtocol

/// The Fortran module's and the Python binding's test programs (clients/tests/programs), each run under mpirun with 2 ranks,
/// stream their known pattern to the real server (the Swift ingest): rank r holds 5 + r values of two fields; value
/// k of the global field at step t is k + 1000 t for `pressure` (float64) and k + 1000 t + 0.5 for `density`
/// (float32).
struct BindingCase: Sendable, CustomTestStringConvertible {
    let name: String
    let program: [String]
    var testDescription: String { name }
}

let fortranStream = repositoryRoot.appendingPathComponent("build/tests/fortran_stream").path
let pythonStream = repositoryRoot.appendingPathComponent("clients/tests/programs/python_stream.py").path
/// The absolute path of the `python3` on PATH that has numpy (mpirun must not resolve `python3` again: a pyenv shim
/// can pick another interpreter), or nil.
let python: [String] = {
    let probe = Process()
    probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    probe.arguments = ["python3", "-c", "import numpy, sys; print(sys.executable)"]
    let output = Pipe()
    probe.standardOutput = output
    probe.standardError = FileHandle.nullDevice
    guard (try? probe.run()) != nil else { return ["python3-with-numpy-not-found"] }
    let path = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        .trimmingCharacters(in: .whitespacesAndNewlines)
    probe.waitUntilExit()
    return [probe.terminationStatus == 0 && !path.isEmpty ? path : "python3-with-numpy-not-found"]
}()

@Test(
    "a binding streams its pattern to the real server",
    .requiresHeatSolver,
    arguments: [
        BindingCase(name: "fortran", program: [fortranStream]),
        BindingCase(name: "python", program: python + [pythonStream]),
    ])
func bindingStreamsToTheRealServer(_ binding: BindingCase) async throws {
    try #require(FileManager.default.isExecutableFile(atPath: binding.program[0]), "\(binding.program[0]) is not built")
    let study = FileManager.default.temporaryDirectory.appendingPathComponent("melissa-binding-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: study, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: study) }
    try (String(decoding: testToken, as: UTF8.self) + "\n").write(
        to: study.appendingPathComponent("token"), atomically: true, encoding: .utf8)
    var config = configuration(
        simulations: 0..<1,
        fields: [FieldDeclaration(name: "pressure", size: 11), FieldDeclaration(name: "density", size: 11)],
        timeSteps: 3)
    config.studyDirectory = study
    let sink = CollectingSink()
    let server = try IngestServer(configuration: config, sinks: [sink])
    _ = try server.start()
    defer { server.stop() }

    let process = Process()
    process.executableURL = URL(fileURLWithPath: mpirun ?? "mpirun")
    process.arguments =
        ["--allow-run-as-root", "--oversubscribe", "--mca", "btl_tcp_if_include", "lo", "-np", "2"] + binding.program
    var environment = ProcessInfo.processInfo.environment
    environment["MELISSA_STUDY_DIR"] = study.path
    environment["MELISSA_SERVER_ADDRESS_FILE"] = study.appendingPathComponent("server.address").path
    environment["MELISSA_TOKEN_FILE"] = study.appendingPathComponent("token").path
    environment["MELISSA_SIMULATION_ID"] = "0"
    environment["MELISSA_ATTEMPT"] = "0"
    environment["MELISSA_TIME_STEPS"] = "3"
    process.environment = environment
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let log = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "\(String(decoding: log, as: UTF8.self))")
    #expect(await server.wait(timeout: .seconds(60)), "reception did not end")

    let samples = sink.collected.sorted { $0.timeStep < $1.timeStep }
    #expect(samples.map(\.timeStep) == [0, 1, 2])
    for sample in samples {
        let t = Float(sample.timeStep)
        let pressure = (0..<11).map { Float($0) + 1000 * t }
        let density = (0..<11).map { Float($0) + 1000 * t + 0.5 }
        #expect(sample.values.array == pressure + density, "step \(sample.timeStep)")
    }
    #expect(server.statistics.totalRejected == 0)
}
