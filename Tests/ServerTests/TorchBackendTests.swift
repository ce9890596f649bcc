import Foundation
import MelissaTestSupport
import PlanModel
import StudySpec
import Testing
import Training
import WireProtocol

@testable import Server

/// The small study of these tests trained by the PyTorch backend: the paper's MLP of
/// workflows/heat-pde-torch/surrogate.py, 32 hidden units (the native tests' width).
func torchStudy(policy: BufferSpec.Policy = .reservoir, ranks: Int = 1, module: String? = nil) -> Study {
    var study = smallStudy(policy: policy)
    study.training.ranks = ranks
    study.training.backend = .pytorch
    study.training.pytorch = PyTorchSpec(
        module: module ?? HostTools.repositoryRoot.appendingPathComponent("workflows/heat-pde-torch/surrogate.py").path,
        device: .cpu, python: HostTools.python(with: "torch") ?? "python3", options: ["hidden": .list([.integer(32)])])
    return study
}

/// The PyTorch trainer processes (`python -m melissa_torch.trainer`) running now in the study directory `directory`
/// (their working directory: tests running beside this one have trainers of their own).
func torchTrainersRunning(in directory: URL) -> Int {
    let study = directory.resolvingSymlinksInPath().path
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.filter { entry in
        guard Int(entry) != nil,
            let line = try? String(contentsOfFile: "/proc/\(entry)/cmdline", encoding: .utf8),
            line.contains("melissa_torch.trainer"),
            let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(entry)/cwd")
        else { return false }
        return cwd == study
    }.count
}

/// Waits up to 10 s for every PyTorch trainer of the study in `directory` to be gone.
func waitForNoTorchTrainer(in directory: URL) -> Bool {
    let deadline = Date().addingTimeInterval(10)
    while torchTrainersRunning(in: directory) > 0, Date() < deadline { usleep(50_000) }
    return torchTrainersRunning(in: directory) == 0
}

/// The ring files in /dev/shm of the PyTorch trainers of the server process `pid` (named after it).
func torchRings(ofServer pid: Int32) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: "/dev/shm")) ?? []).filter {
        $0.hasPrefix("melissa-torch-\(pid)-")
    }
}

@Suite(.serialized) struct TorchBackendTests {
    /// The whole server with the PyTorch backend: trained from the stream, every training sample once (FIFO), the
    /// metrics and the validation as with the native trainer, the model exported as TorchScript inside model.melissa,
    /// and `melissa predict` answering from it; no trainer and no ring left.
    @Test(.requiresPython("torch"), .requiresProduct("melissa"))
    func aPyTorchServerTrainsOnTheStreamExportsAModelAndPredicts() throws {
        let (plan, directory) = try plannedStudy(torchStudy(policy: .fifo))
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try startLoggedServer(directory, run: 1)
        defer { endIfRunning(server) }
        try stream(plan, directory: directory, ids: Array(0..<8))
        let exit = try finish(server, directory: directory)
        let said =
            (try? String(contentsOf: directory.appendingPathComponent("server-out-1.log"), encoding: .utf8)) ?? ""
        try #require(exit == 0, "the server ended with \(exit):\n\(said)\n\(serverErrors(directory, run: 1))")
        #expect(said.contains("PyTorch trainer: make_model of "), "\(said)")
        #expect(said.contains("on cpu (torch "), "\(said)")
        let lines = try metrics(directory)
        let last = try #require(lines.last)
        #expect(last["received"] as? Int == 160)
        #expect(last["trained"] as? Int == 120, "every training sample trained once")
        let first = try #require(lines.first { $0["relative_l2"] != nil }?["relative_l2"] as? Double)
        let final = try #require(last["relative_l2"] as? Double)
        #expect(final < first, "the validation error falls: \(first) -> \(final)")

        let data = try Data(contentsOf: directory.appendingPathComponent("model.melissa"))
        #expect(TorchModelFile.isTorchModel(data))
        let file = try TorchModelFile(data)
        #expect(file.inputCount == 3 && file.outputCount == 50)
        #expect(file.parameterNames == ["a", "b"])
        #expect(file.metadata["backend"] == "pytorch")
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("model.pt").path))
        // The native reader refuses it with a clear reason rather than misreading it.
        #expect(throws: TrainingError.self) { try SurrogateFile.decode(data) }

        let predictor = try TorchPredictor(file: file, package: try TorchPackage.locate(environment: [:]))
        let values = try predictor.predict([[1.0, 0.5, 7], [0.7, -0.2, 3]])
        #expect(values.count == 2 && values.allSatisfy { $0.count == 50 && $0.allSatisfy(\.isFinite) })
        let cli = Process()
        let output = Pipe()
        cli.executableURL = melissaBinary
        cli.arguments = [
            "predict", directory.appendingPathComponent("model.melissa").path, "--param", "a=1.0", "--param",
            "b=0.5", "--step", "7",
        ]
        cli.standardOutput = output
        try cli.run()
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        cli.waitUntilExit()
        #expect(cli.terminationStatus == 0)
        let field = String(decoding: printed, as: UTF8.self).split(separator: "\n").compactMap { Float($0) }
        #expect(field.count == 50)
        for (cliValue, direct) in zip(field, values[0]) {
            #expect(abs(cliValue - direct) <= 1e-4 * max(1, abs(direct)))
        }
        #expect(waitForNoTorchTrainer(in: directory), "the trainer ended with the server")
        let rings = torchRings(ofServer: server.processIdentifier)
        #expect(rings.isEmpty, "no ring left in /dev/shm: \(rings)")
    }

    /// kill -9 of a PyTorch server after two checkpoints: its trainer goes with it (no orphan), and the restart
    /// restores the model and the optimiser from the checkpoint and the buffer with them: every training sample is
    /// trained exactly once across the restart (FIRO reads each once).
    @Test(.requiresPython("torch"), .requiresProduct("melissa"))
    func aPyTorchServerKilledWithSIGKILLRestartsWithoutTrainingASampleTwice() throws {
        var study = torchStudy(policy: .firo)
        study.training.checkpointEveryBatches = 1
        let (plan, directory) = try plannedStudy(study)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = CheckpointStore(directory: directory, ranks: 1)
        let first = try startLoggedServer(directory, run: 1)
        defer { endIfRunning(first) }
        let address = try ServerAddress.read(fromDirectory: directory, timeout: 60)
        try stream(plan, directory: directory, ids: [0, 1, 2, 6])
        try waitForTwoQuietGenerations(store, ranks: 1, address: address)
        let checkpoint = try ServerCheckpoint.read(from: store.url(rank: 0))
        #expect(checkpoint.backendState?.isEmpty == false, "the trainer's state is in the checkpoint")
        #expect(checkpoint.trainer.parameters.isEmpty)
        #expect(torchTrainersRunning(in: directory) == 1, "one trainer, working in the study directory")
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        #expect(waitForNoTorchTrainer(in: directory), "the trainer died with its server (PR_SET_PDEATHSIG)")
        try FileManager.default.removeItem(at: directory.appendingPathComponent("server.address"))

        let second = try startLoggedServer(directory, run: 2, restart: true)
        defer { endIfRunning(second) }
        try stream(plan, directory: directory, ids: Array(0..<8), attempt: 1)
        let exit = try finish(second, directory: directory)
        try #require(exit == 0, "the restarted server ended with \(exit):\n\(serverErrors(directory, run: 2))")
        let said =
            (try? String(contentsOf: directory.appendingPathComponent("server-out-2.log"), encoding: .utf8)) ?? ""
        #expect(said.contains("restarted from \(store.url(rank: 0).path): batch \(checkpoint.batches)"), "\(said)")
        let last = try metrics(directory).last
        #expect(last?["received"] as? Int == 160)
        #expect(last?["trained"] as? Int == 120, "every training sample trained once across the restart")
        #expect(TorchModelFile.isTorchModel(try Data(contentsOf: directory.appendingPathComponent("model.melissa"))))
    }

    /// Two ranks under mpirun, their trainers one DDP group (gloo): every sample once, on its rank, and one model.
    @Test(.requiresPython("torch"), .requiresMPI, .requiresProduct("melissa"))
    func twoPyTorchRanksTrainOneModelWithDDP() throws {
        let (plan, directory) = try plannedStudy(torchStudy(policy: .fifo, ranks: 2))
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try startMPIServer(directory)
        defer { endIfRunning(server, mpirun: true) }
        try stream(plan, directory: directory, ids: Array(0..<8))
        let status = try finish(server, directory: directory)
        try #require(status == 0, "mpirun ended with \(status):\n\(serverLogs(directory))")
        let logs = serverLogs(directory)
        #expect(logs.contains("rank 1: PyTorch trainer: make_model of "), "\(logs)")
        let last = try #require(try metrics(directory).last)
        #expect(last["received"] as? Int == 160)
        #expect(last["trained"] as? Int == 120)
        let checkpoints = try rankCheckpoints(directory)
        expectEveryStepOnceOnItsRank(checkpoints, simulations: 8, steps: 20)
        #expect(checkpoints.allSatisfy { $0.backendState?.isEmpty == false })
        #expect(TorchModelFile.isTorchModel(try Data(contentsOf: directory.appendingPathComponent("model.melissa"))))
        #expect(waitForNoTorchTrainer(in: directory))
    }

    /// Two PyTorch ranks, rank 0 killed with SIGKILL after both wrote checkpoints: mpirun ends the job, the trainers
    /// go with their ranks, and the restart (both trainers loading their saved state, the DDP group formed anew)
    /// trains every sample once, each on its rank.
    @Test(.requiresPython("torch"), .requiresMPI, .requiresProduct("melissa"))
    func twoPyTorchRanksKilledWithSIGKILLRestartWithoutLosingOrRepeatingSamples() throws {
        var study = torchStudy(policy: .firo, ranks: 2)
        study.training.checkpointEveryBatches = 2
        let (plan, directory) = try plannedStudy(study)
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try startMPIServer(directory)
        defer { endIfRunning(first, mpirun: true) }
        let address = try ServerAddress.read(fromDirectory: directory, timeout: 60)
        try stream(plan, directory: directory, ids: [0, 1, 2, 6])
        let files = (0..<2).map { directory.appendingPathComponent("checkpoint-rank\($0).melissa").path }
        try waitFor("both ranks' checkpoints") { files.allSatisfy { FileManager.default.fileExists(atPath: $0) } }
        #expect(torchTrainersRunning(in: directory) == 2, "a trainer per rank")
        kill(pid_t(address.pid), SIGKILL)
        #expect(try finish(first, directory: directory) != 0)
        #expect(waitForNoTorchTrainer(in: directory), "no trainer outlives its rank")
        try? FileManager.default.removeItem(at: directory.appendingPathComponent("server.address"))
        try restartAndExpectEverySampleOnce(plan, directory: directory)
        #expect(try rankCheckpoints(directory).allSatisfy { $0.backendState?.isEmpty == false })
    }

    /// A factory that raises: the server fails at once, saying which trainer failed, the Python error, and the
    /// traceback's last lines; nothing is left running.
    @Test(.requiresPython("torch"), .requiresProduct("melissa"))
    func aModuleThatRaisesFailsTheServerWithThePythonError() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("melissa-torch-bad-\(UUID())")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let module = root.appendingPathComponent("broken.py")
        try """
        def make_model(inputs, outputs, config):
            raise ValueError(f"no model for {inputs} inputs today")
        """.write(to: module, atomically: true, encoding: .utf8)
        try withFailedServer(torchStudy(module: module.path)) { said, directory, server in
            #expect(
                said.contains("the PyTorch trainer failed at `init`: ValueError: no model for 3 inputs today"),
                "\(said)")
            #expect(said.contains("broken.py"), "the traceback names the user's file: \(said)")
            #expect(waitForNoTorchTrainer(in: directory))
            let rings = torchRings(ofServer: server)
            #expect(rings.isEmpty, "\(rings)")
        }
    }

    /// An interpreter without torch: one clear sentence, no traceback.
    @Test(
        .requiresProduct("melissa"),
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")
                && !pythonImports("/usr/bin/python3", "torch"),
            "needs a /usr/bin/python3 without torch"))
    func anInterpreterWithoutTorchIsOneClearSentence() throws {
        var study = torchStudy()
        study.training.pytorch?.python = "/usr/bin/python3"
        try withFailedServer(study) { said, _, _ in
            // torch, or numpy before it: whichever is missing first is named.
            #expect(said.contains("the PyTorch trainer cannot start: "), "\(said)")
            #expect(said.contains(" is not installed for /usr/bin/python3: pip install "), "\(said)")
            #expect(!said.contains("Traceback"), "\(said)")
        }
    }

    /// Plans `study`, runs its server, expects it to fail, and gives `body` what it said on standard error, the study
    /// directory (removed afterwards) and the server's pid.
    private func withFailedServer(_ study: Study, _ body: (String, URL, Int32) throws -> Void) throws {
        let (_, directory) = try plannedStudy(study)
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try startLoggedServer(directory, run: 1)
        defer { endIfRunning(server) }
        let exit = try finish(server, directory: directory)
        #expect(exit != 0)
        try body(serverErrors(directory, run: 1), directory, server.processIdentifier)
    }
}

/// Whether `python` imports `module`.
func pythonImports(_ python: String, _ module: String) -> Bool {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = ["-c", "import \(module)"]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return false }
    process.waitUntilExit()
    return process.terminationStatus == 0
}
