import Foundation
import MelissaTestSupport
import Testing
import Training

/// Runs the built `melissa` binary (beside the test bundle in the build directory) and captures its output.
struct MelissaRun {
    let status: Int32
    let standardOutput: String
    let standardError: String

    static var binary: URL { HostTools.product("melissa") }

    /// The stand-in server and simulation (`MelissaLaunchStandIn`), beside `melissa`.
    static var standIn: URL {
        binary.deletingLastPathComponent().appendingPathComponent("MelissaLaunchStandIn")
    }

    /// Writes `<directory>/mpirun-stub`: an `mpirun -np N` that drops those words and runs the command, so that local
    /// studies of the tests run without MPI.
    static func mpirunStub(in directory: URL) throws -> URL {
        let stub = directory.appendingPathComponent("mpirun-stub")
        try "#!/bin/bash\nshift 2\nexec \"$@\"\n".write(to: stub, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: stub.path)
        return stub
    }

    /// Runs `melissa` on a thread of its own: an async test that waits for a long command must not hold one of the
    /// few threads of Swift's cooperative pool (2 on a 2-core machine) that every async test shares.
    static func run(_ arguments: [String], in directory: URL? = nil) async throws -> MelissaRun {
        MelissaRun(try await ProcessRunner.run(binary.path, arguments, directory: directory))
    }

    static func run(_ arguments: [String], in directory: URL? = nil) throws -> MelissaRun {
        MelissaRun(try ProcessRunner.run(binary.path, arguments, directory: directory))
    }

    private init(_ result: ProcessResult) {
        self.init(status: result.status, standardOutput: result.standardOutput, standardError: result.standardError)
    }

    init(status: Int32, standardOutput: String, standardError: String) {
        self.status = status
        self.standardOutput = standardOutput
        self.standardError = standardError
    }
}

let repositoryRoot = HostTools.repositoryRoot

@Test func validateSummarisesTheHeatStudy() throws {
    let run = try MelissaRun.run(["validate", "workflows/heat-pde/study.yaml"], in: repositoryRoot)
    #expect(run.status == 0, "\(run.standardError)")
    #expect(run.standardOutput.hasPrefix("✓ heat-pde"))
    #expect(run.standardOutput.contains("sobol (linear-matrix scramble), 500 simulations, seed 123"))
    #expect(run.standardOutput.contains("MLP 6 → 256 → 256 → 10000 (relu)"))
    #expect(run.standardError.isEmpty)
}

@Test func validateSummarisesAPyTorchStudy() throws {
    let directory = try HostTools.temporaryDirectory("melissa-cli")
    defer { try? FileManager.default.removeItem(at: directory) }
    try "def make_model(inputs, outputs, config): ...\n".write(
        to: directory.appendingPathComponent("surrogate.py"), atomically: true, encoding: .utf8)
    let study = """
        study: {name: torch}
        parameters: {x: {uniform: [0, 1]}}
        sampler: {kind: sobol, count: 4}
        simulation:
          command: ./run {{x}}
          fields: [u]
          time_steps: 5
        buffer: {capacity: 100, watermark: 20}
        training:
          batch_size: 8
          backend: pytorch
          pytorch: {module: surrogate.py, loss: huber, device: cpu, options: {width: 16}}
        """
    try study.write(to: directory.appendingPathComponent("study.yaml"), atomically: true, encoding: .utf8)
    let run = try MelissaRun.run(["validate", "study.yaml"], in: directory)
    #expect(run.status == 0, "\(run.standardError)")
    let module = directory.appendingPathComponent("surrogate.py").standardizedFileURL.path
    #expect(
        run.standardOutput.contains(
            "PyTorch make_model(inputs, outputs, config) of \(module) (device cpu, \(pythonOnPath("python3"))), "
                + "adam lr 0.001, "
                + "loss huber, batch 8"), "\(run.standardOutput)")
    #expect(!run.standardOutput.contains("MLP "))
}

/// `name` as `melissa plan` records it: the first executable of that name in PATH, else the name.
func pythonOnPath(_ name: String) -> String {
    let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
    return directories.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) } ?? name
}

@Test func validateListsEveryProblemAndFails() throws {
    let directory = try HostTools.temporaryDirectory("melissa-cli")
    defer { try? FileManager.default.removeItem(at: directory) }
    let study = """
        study: {name: broken}
        parameters: {x: {uniform: [0, 1]}}
        sampler: {kind: sobol, count: 4}
        simulation:
          command: ./run {{y}}
          fields: [u]
          time_steps: 5
        buffer: {capacity: 10, watermark: 20}
        """
    try study.write(to: directory.appendingPathComponent("study.yaml"), atomically: true, encoding: .utf8)
    let run = try MelissaRun.run(["validate", "study.yaml"], in: directory)
    #expect(run.status == 1)
    #expect(run.standardOutput.isEmpty)
    #expect(
        run.standardError == """
            study.yaml:5:18: simulation.command: unknown placeholder `{{y}}`; expected a parameter (`x`) or a built-in \
            (`simulation_id`, `attempt`, `study_dir`, `study_file_dir`, `study_name`, `time_steps` and `tasks`)
            study.yaml:8:35: buffer.watermark: 20 is larger than buffer.capacity (10)
            2 problems found.

            """)
}

@Test func helpDescribesTheCommands() throws {
    let run = try MelissaRun.run(["--help"])
    #expect(run.status == 0)
    #expect(run.standardOutput.contains("validate"))
}

@Test func predictEvaluatesASurrogateModelFile() throws {
    let surrogate = Surrogate(
        architecture: MLPArchitecture(inputCount: 3, hidden: [], outputCount: 2, activation: .relu),
        parameters: [1, 0, 0, 0, 1, 2, 0, 0.5], inputMean: [0, 0, 0], inputStd: [1, 1, 1], outputMean: [10, 0],
        outputStd: [2, 1], parameterNames: ["T0", "T1"])
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("melissa-predict-\(UUID()).mlsmodel")
    defer { try? FileManager.default.removeItem(at: url) }
    try surrogate.write(to: url)
    let run = try MelissaRun.run(["predict", url.path, "--param", "T1=3", "--param", "T0=4", "--step", "5"])
    #expect(run.status == 0, "\(run.standardError)")
    // (T0 · 2 + 10, T1 + 2 · 5 + 0.5)
    #expect(run.standardOutput == "18.0\n13.5\n")
    let missing = try MelissaRun.run(["predict", url.path, "--param", "T0=4", "--step", "5"])
    #expect(missing.status != 0)
    #expect(missing.standardError.contains("missing --param for T1"))
}

@Test func aWordThatIsNoCommandIsAnsweredWithTheCommandMeant() throws {
    let run = try MelissaRun.run(["run", "study.yaml"])
    #expect(run.status == 64)
    #expect(
        run.standardError
            == "melissa: unknown command `run`; did you mean `melissa launch study.yaml`? (melissa --help)\n")
    let typo = try MelissaRun.run(["statsu", "runs/x"])
    #expect(typo.standardError.contains("did you mean `melissa status runs/x`?"))
    let unknown = try MelissaRun.run(["frobnicate"])
    #expect(unknown.standardError.contains("the commands are `validate`, `plan`, `launch`"))
    #expect(try MelissaRun.run(["--version"]).standardOutput.split(separator: ".").count == 3, "a version: x.y.z")
}

@Test func missingFilesAreSaidPlainlyNotAsFoundationErrors() throws {
    let directory = try HostTools.temporaryDirectory("melissa-cli")
    defer { try? FileManager.default.removeItem(at: directory) }
    let launch = try MelissaRun.run(["launch", directory.path])
    #expect(launch.status == 1)
    #expect(launch.standardError.contains("\(directory.path) is not a study directory (no such file: "))
    let predict = try MelissaRun.run(["predict", "nosuch.melissa", "--step", "1"], in: directory)
    #expect(predict.status == 1)
    #expect(predict.standardError == "melissa predict: no such file: nosuch.melissa\n")
    for run in [launch, predict] { #expect(!run.standardError.contains("NSCocoaErrorDomain")) }
}

/// Every command, given wrong paths and wrong files, says what is wrong in words: never a Foundation error dump.
@Test func theCommandsWalkedWithWrongPathsAndFilesNeverDumpFoundationErrors() throws {
    let directory = try HostTools.temporaryDirectory("melissa-walk")
    defer { try? FileManager.default.removeItem(at: directory) }
    let notYAML = directory.appendingPathComponent("notes.yaml")
    try Data([0xff, 0xfe, 0x00, 0x01]).write(to: notYAML)
    let badPlan = directory.appendingPathComponent("study")
    try FileManager.default.createDirectory(at: badPlan, withIntermediateDirectories: true)
    try "{not a plan".write(to: badPlan.appendingPathComponent("plan.json"), atomically: true, encoding: .utf8)
    let notAModel = directory.appendingPathComponent("model.melissa")
    try "hello".write(to: notAModel, atomically: true, encoding: .utf8)
    let missing = directory.appendingPathComponent("nosuch").path
    let calls: [[String]] = [
        ["validate", missing], ["validate", notYAML.path], ["plan", missing], ["plan", notYAML.path],
        ["launch", missing], ["launch", badPlan.path], ["launch", "/tmp"], ["status", missing], ["status", "/tmp"],
        ["cancel", missing], ["report", missing], ["train", missing], ["predict", missing, "--step", "0"],
        ["predict", notAModel.path, "--step", "0"], ["compare", missing],
    ]
    for arguments in calls {
        let run = try MelissaRun.run(arguments, in: directory)
        let words = arguments.joined(separator: " ")
        #expect(run.status != 0, "melissa \(words) must fail")
        #expect(!run.standardError.isEmpty, "melissa \(words) must say why")
        for dump in ["NSCocoaErrorDomain", "Error Domain=", "NSUnderlyingError", "Foundation."] {
            #expect(!run.standardError.contains(dump), "melissa \(words): \(run.standardError)")
        }
    }
}
