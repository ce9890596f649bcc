import ArgumentParser
import Foundation
import Training

/// `melissa-bench torch-bridge`: the PyTorch backend fed the way the server feeds it against the same model fed from
/// tensors already in its own process, in the same run.
struct TorchBridgeBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "torch-bridge",
        abstract: "The PyTorch backend through the server's bridge against the same model fed in-process.",
        discussion: """
            Through the bridge: melissa's TorchTrainer, as the server drives it each step: the batch staged, \
            normalised into the shared-memory ring, the `train` command and its reply on the pipe, the rows' losses \
            read back. In-process: `python -m melissa_torch.bench`, the same module, batch, optimiser and threads, \
            its batches already tensors in the trainer's own process. The two alternate, `--repetitions` times each, \
            and the medians are compared (goal: ratio ≥ 0.9 at batch 10 and 100). Needs python3 with torch.
            """
    )

    @Option(help: "The model's module (default: workflows/heat-pde-torch/surrogate.py, the paper's MLP).")
    var module: String?

    @Option(help: "Inputs per row (the paper's study: 5 parameters and the time step).")
    var inputs = 6

    @Option(help: "Outputs per row (the paper's 100×100 mesh: 10000).")
    var outputs = 10_000

    @Option(name: .customLong("batch"), help: "A batch size (repeat for several).")
    var batches: [Int] = [10, 100]

    @Option(help: "Timed seconds of each measurement.")
    var seconds = 3.0

    @Option(help: "Measurements of each side; the medians are compared.")
    var repetitions = 3

    @Option(help: "torch's threads on both sides.")
    var threads = 1

    @Option(help: "The Python interpreter.")
    var python = "python3"

    func run() throws {
        let package = try TorchPackage.locate()
        let module =
            self.module
            ?? package.deletingLastPathComponent().appendingPathComponent("workflows/heat-pde-torch/surrogate.py").path
        print(
            "PyTorch backend, \(inputs) → 256 → 256 → \(outputs) (\((module as NSString).lastPathComponent)), Adam, "
                + "\(threads) thread(s), cpu; \(repetitions) × \(seconds) s each side, alternated; medians")
        print(row(["batch", "bridge", "in-process", "ratio", "ms/step bridge", "ms/step in-process"]))
        for batch in batches {
            let trainer = try TorchTrainer(
                configuration: TrainerConfiguration(
                    architecture: MLPArchitecture(
                        inputCount: inputs, hidden: [256, 256], outputCount: outputs, activation: .relu),
                    maxBatchSize: batch, seed: 1, normalizationWarmupSamples: 0),
                settings: TorchTrainerSettings(
                    python: python, module: module, model: "make_model", makeOptimizer: nil, loss: nil, device: "cpu",
                    config: ["hidden": [256, 256], "batch_size": batch], threads: threads, package: package,
                    workingDirectory: nil))
            var generator = SystemRandomNumberGenerator()
            let pool = (0..<8).map { _ in
                (0..<batch).map { _ in
                    TrainingSample(
                        input: (0..<inputs).map { _ in Float.random(in: -1...1, using: &generator) },
                        output: (0..<outputs).map { _ in Float.random(in: -1...1, using: &generator) })
                }
            }
            var bridge: [Double] = []
            var inProcess: [Double] = []
            var step = 0
            func steps(for duration: Double) throws -> Int {
                let end = Date().addingTimeInterval(duration)
                var count = 0
                repeat {
                    let staged = try trainer.stage(pool[step % pool.count])
                    try trainer.step(staged: staged, communicator: LocalCommunicator())
                    step += 1
                    count += 1
                } while Date() < end
                return count
            }
            _ = try steps(for: 1)
            for _ in 0..<repetitions {
                let started = Date()
                let count = try steps(for: seconds)
                bridge.append(Double(count * batch) / Date().timeIntervalSince(started))
                inProcess.append(try baseline(module: module, package: package, batch: batch))
            }
            try trainer.close()
            let through = median(bridge)
            let direct = median(inProcess)
            print(
                row([
                    "\(batch)", String(format: "%.0f/s", through), String(format: "%.0f/s", direct),
                    String(format: "%.2f", through / direct), String(format: "%.1f", 1e3 * Double(batch) / through),
                    String(format: "%.1f", 1e3 * Double(batch) / direct),
                ]))
        }
    }

    /// Samples per second of `python -m melissa_torch.bench` on the same model and batch.
    private func baseline(module: String, package: URL, batch: Int) throws -> Double {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            python, "-m", "melissa_torch.bench", "--module", module, "--inputs", "\(inputs)", "--outputs",
            "\(outputs)", "--batch", "\(batch)", "--seconds", "\(seconds)", "--threads", "\(threads)", "--config",
            "{\"hidden\": [256, 256]}",
        ]
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONPATH"] = package.path + (environment["PYTHONPATH"].map { ":" + $0 } ?? "")
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
            let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last,
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
            let rate = object["samples_per_second"] as? Double
        else {
            throw ValidationError("python -m melissa_torch.bench failed (status \(process.terminationStatus))")
        }
        return rate
    }

    private func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1
            ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    private func row(_ columns: [String]) -> String {
        columns.map { $0.padding(toLength: max(12, $0.count + 2), withPad: " ", startingAt: 0) }.joined()
    }
}
