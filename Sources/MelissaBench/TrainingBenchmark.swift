import ArgumentParser
import COpenBLAS
import Foundation
import Training

/// `melissa-bench training`: training samples per second for the paper's network against the bound of the same
/// sgemm calls plus one memory pass of the optimiser, measured in the same run.
struct TrainingBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "training",
        abstract: "Training samples per second for 6 → 256 → 256 → 10,000 against the sgemm + optimiser bound.",
        discussion: """
            For batch 10 and 100 and 1 and 2 OpenBLAS threads, times full training steps (normalisation, forward, \
            loss, backward, fused AdamW) and, as the bound, the same eight sgemm calls alone plus one pass over the \
            parameters, gradients and both moments (the optimiser's memory traffic). Prints the ratio (goal ≥ 0.7). \
            Then `training.threads: auto`: what it chooses at each batch and its rate beside 1 thread and every core, \
            alternated in the same run. When `python3 -c 'import torch'` works, also prints PyTorch's speed on the \
            same network. \
            OPENBLAS_CORETYPE is left as the environment sets it.
            """
    )

    @Option(help: "Samples per measurement (rounded to whole batches).")
    var samples = 3000

    @Option(help: "Repetitions; the median is reported.")
    var repetitions = 5

    @Option(help: "Output width (the paper's 100×100 mesh: 10000).")
    var outputs = 10_000

    @Flag(help: "Skip the PyTorch comparison even when torch is installed.")
    var noTorch = false

    @Flag(
        help: """
            Instead, the cost of the per-simulation scores: full steps that keep each sample's loss and attribute it \
            to its simulation (as the server's loop does) against steps that keep only the batch loss, alternated.
            """)
    var scores = false

    func run() throws {
        if scores { return try runScores() }
        let coretype = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "(unset)"
        let architecture = MLPArchitecture(inputCount: 6, hidden: [256, 256], outputCount: outputs, activation: .relu)
        print(
            "training samples per second, 6 → 256 → 256 → \(outputs) (\(architecture.parameterCount) parameters), "
                + "AdamW; median of \(repetitions); OPENBLAS_CORETYPE=\(coretype)")
        let torch = noTorch ? nil : torchRates()
        var header = ["threads", "batch", "trainer", "bound", "ratio", "ms/step"]
        if torch != nil { header.append("pytorch") }
        print(row(header))
        for threads in [1, 2] {
            BLASThreads.set(threads)
            for batch in [10, 100] {
                let steps = max(5, samples / batch)
                // Trainer and bound alternate, so a load that comes and goes weighs on both alike.
                var trainerTimes: [Double] = []
                var boundTimes: [Double] = []
                for _ in 0..<repetitions {
                    trainerTimes.append(try trainerTime(architecture, batch: batch, steps: steps))
                    boundTimes.append(boundTime(architecture, batch: batch, steps: steps))
                }
                let trainer = median(trainerTimes)
                let bound = median(boundTimes)
                let rate = Double(steps * batch) / trainer
                let boundRate = Double(steps * batch) / bound
                var columns = [
                    "\(threads)", "\(batch)", String(format: "%.0f/s", rate), String(format: "%.0f/s", boundRate),
                    String(format: "%.2f", rate / boundRate), String(format: "%.2f", trainer / Double(steps) * 1e3),
                ]
                if let torch {
                    columns.append(torch["\(threads)-\(batch)"].map { String(format: "%.0f/s", $0) } ?? "-")
                }
                print(row(columns))
            }
        }
        try autoRows(architecture)
        BLASThreads.set(1)
    }

    /// `training.threads: auto`: for each batch, what ``BLASThreads/choose`` picks (1 or every core), then full steps
    /// with its choice, 1 thread and every core, alternated; the ratio is auto's rate over the better fixed one.
    private func autoRows(_ architecture: MLPArchitecture) throws {
        let cores = BLASThreads.availableCores
        let candidates = BLASThreads.autoCandidates(cores: cores)
        print(
            "training.threads auto (among \(candidates.map(String.init).joined(separator: ", ")) threads, chosen by "
                + "timing this network at the batch size):")
        print(row(["threads", "batch", "chose", "auto", "1 thread", "\(cores) threads", "auto/best"]))
        for batch in [10, 100] {
            let steps = max(5, samples / batch)
            let choice = try BLASThreads.choose(architecture: architecture, batchSize: batch, candidates: candidates)
            var times: [[Double]] = [[], [], []]
            for _ in 0..<repetitions {
                for (index, threads) in [choice.threads, 1, cores].enumerated() {
                    BLASThreads.set(threads)
                    times[index].append(try trainerTime(architecture, batch: batch, steps: steps))
                }
            }
            let rates = times.map { Double(steps * batch) / median($0) }
            print(
                row([
                    "auto", "\(batch)", "\(choice.threads)", String(format: "%.0f/s", rates[0]),
                    String(format: "%.0f/s", rates[1]), String(format: "%.0f/s", rates[2]),
                    String(format: "%.2f", rates[0] / max(rates[1], rates[2])),
                ]))
        }
    }

    /// `--scores`: steps with the per-sample losses and the score table against steps without, and their ratio.
    private func runScores() throws {
        let architecture = MLPArchitecture(inputCount: 6, hidden: [256, 256], outputCount: outputs, activation: .relu)
        print(
            "per-simulation scores, 6 → 256 → 256 → \(outputs): time per step with the per-sample losses and the "
                + "score table against without; median of \(repetitions)")
        print(row(["threads", "batch", "plain", "scored", "ratio"]))
        for threads in [1, 2] {
            BLASThreads.set(threads)
            for batch in [10, 100] {
                let steps = max(5, samples / batch)
                var plainTimes: [Double] = []
                var scoredTimes: [Double] = []
                for _ in 0..<repetitions {
                    plainTimes.append(try trainerTime(architecture, batch: batch, steps: steps))
                    scoredTimes.append(try trainerTime(architecture, batch: batch, steps: steps, scored: true))
                }
                let plain = median(plainTimes) / Double(steps)
                let scored = median(scoredTimes) / Double(steps)
                print(
                    row([
                        "\(threads)", "\(batch)", String(format: "%.3f ms", plain * 1e3),
                        String(format: "%.3f ms", scored * 1e3), String(format: "%.4f", scored / plain),
                    ]))
            }
        }
        BLASThreads.set(1)
        // The table's part alone, which the step comparison cannot resolve under noise: one record per sample read.
        let reads = 1_000_000
        let origins = (0..<reads).map { index in
            let slot = UInt32(index * 7919 % 100_000)
            return TrainingSample(
                input: [], output: [], origin: SampleOrigin(simulationID: slot / 100, timeStep: slot % 100))
        }
        let losses = (0..<reads).map { Float($0 % 97) * 0.01 }
        var table = SimulationLossTable(timeSteps: 100)
        let recording = losses.withUnsafeBufferPointer { losses in
            time { table.record(origins, losses: losses) }
        }
        print(
            String(
                format: "score table: %.0f ns a sample read (%d reads of 100,000 samples of 1,000 simulations)",
                recording / Double(reads) * 1e9, reads))
    }

    private func row(_ columns: [String]) -> String {
        columns.map { $0.padding(toLength: 10, withPad: " ", startingAt: 0) }.joined(separator: " ")
    }

    private func median(_ times: [Double]) -> Double {
        let sorted = times.sorted()
        return sorted.isEmpty ? .nan : sorted[sorted.count / 2]
    }

    private func time(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// Seconds for `steps` full training steps on a staged random batch; `scored`: keeping each sample's loss and
    /// recording it in a score table (samples of 1,000 simulations of 100 steps), as the server's loop does after each
    /// step; otherwise the batch loss alone.
    private func trainerTime(
        _ architecture: MLPArchitecture, batch: Int, steps: Int, scored: Bool = false
    ) throws -> Double {
        let trainer = try Trainer(
            configuration: TrainerConfiguration(
                architecture: architecture, optimizer: OptimizerConfiguration(weightDecay: 1e-4), maxBatchSize: batch,
                seed: 1, normalizationWarmupSamples: 0))
        trainer.withStagingBuffers { inputs, outputs in
            for i in inputs.indices { inputs[i] = Float(i % 7) * 0.1 }
            for i in outputs.indices { outputs[i] = Float(i % 13) * 0.05 }
        }
        let communicator = LocalCommunicator()
        trainer.recordsSampleLosses = scored
        try trainer.step(staged: batch, communicator: communicator)
        guard scored else {
            return try time {
                for _ in 0..<steps { try trainer.step(staged: batch, communicator: communicator) }
            }
        }
        // Only the origins matter to the table: the values trained on are those staged.
        let batches = (0..<steps).map { step in
            (0..<batch).map { row in
                let index = UInt32((step * batch + row) * 7919 % 100_000)
                return TrainingSample(
                    input: [], output: [], origin: SampleOrigin(simulationID: index / 100, timeStep: index % 100))
            }
        }
        var table = SimulationLossTable(timeSteps: 100)
        let seconds = try time {
            for step in 0..<steps {
                try trainer.step(staged: batch, communicator: communicator)
                trainer.withSampleLosses { table.record(batches[step], losses: $0) }
            }
        }
        precondition(!table.entries.isEmpty)
        return seconds
    }

    /// Seconds for the same sgemm calls as `steps` training steps, plus one read-4/write-3 pass over the optimiser's
    /// arrays per step.
    private func boundTime(_ architecture: MLPArchitecture, batch: Int, steps: Int) -> Double {
        let layers = architecture.layers
        let count = architecture.parameterCount
        func buffer(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: n)
            p.initialize(repeating: 0.01, count: n)
            return p
        }
        let parameters = buffer(count)
        let gradient = buffer(count)
        let first = buffer(count)
        let second = buffer(count)
        let activations = architecture.widths.map { buffer(batch * $0) }
        let deltas = architecture.widths.map { buffer(batch * $0) }
        defer {
            for p in [parameters, gradient, first, second] + activations + deltas { p.deallocate() }
        }
        func oneStep() {
            for (index, layer) in layers.enumerated() {
                cblas_sgemm(
                    CblasRowMajor, CblasNoTrans, CblasTrans, Int32(batch), Int32(layer.outputs), Int32(layer.inputs),
                    1, activations[index], Int32(layer.inputs), parameters + layer.weightOffset, Int32(layer.inputs),
                    1, activations[index + 1], Int32(layer.outputs))
            }
            for (index, layer) in layers.enumerated().reversed() {
                cblas_sgemm(
                    CblasRowMajor, CblasTrans, CblasNoTrans, Int32(layer.outputs), Int32(layer.inputs), Int32(batch),
                    1, deltas[index + 1], Int32(layer.outputs), activations[index], Int32(layer.inputs), 0,
                    gradient + layer.weightOffset, Int32(layer.inputs))
                if index > 0 {
                    cblas_sgemm(
                        CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(batch), Int32(layer.inputs),
                        Int32(layer.outputs), 1, deltas[index + 1], Int32(layer.outputs),
                        parameters + layer.weightOffset, Int32(layer.inputs), 0, deltas[index], Int32(layer.inputs))
                }
            }
            memoryPass(parameters, gradient, first, second, count)
        }
        oneStep()
        return time { for _ in 0..<steps { oneStep() } }
    }

    /// Reads the four optimiser arrays and writes three of them, with the least arithmetic.
    private func memoryPass(
        _ p: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>, _ m: UnsafeMutablePointer<Float>,
        _ v: UnsafeMutablePointer<Float>, _ count: Int
    ) {
        typealias Lane = SIMD16<Float>
        var i = 0
        while i + Lane.scalarCount <= count {
            let gradient = UnsafeRawPointer(g + i).loadUnaligned(as: Lane.self)
            let first = UnsafeRawPointer(m + i).loadUnaligned(as: Lane.self) + gradient
            let second = UnsafeRawPointer(v + i).loadUnaligned(as: Lane.self) + gradient
            UnsafeMutableRawPointer(m + i).storeBytes(of: first, as: Lane.self)
            UnsafeMutableRawPointer(v + i).storeBytes(of: second, as: Lane.self)
            let parameter = UnsafeRawPointer(p + i).loadUnaligned(as: Lane.self) - 1e-9 * first
            UnsafeMutableRawPointer(p + i).storeBytes(of: parameter, as: Lane.self)
            i += Lane.scalarCount
        }
        while i < count {
            m[i] += g[i]
            v[i] += g[i]
            p[i] -= 1e-9 * m[i]
            i += 1
        }
    }

    /// PyTorch's samples per second keyed "threads-batch", or nil when torch cannot be imported.
    private func torchRates() -> [String: Double]? {
        let script = """
            import sys, time, statistics
            try:
                import torch
            except ImportError:
                sys.exit(3)
            outputs, samples, reps = \(outputs), \(samples), \(repetitions)
            for threads in (1, 2):
                torch.set_num_threads(threads)
                for batch in (10, 100):
                    torch.manual_seed(0)
                    net = torch.nn.Sequential(torch.nn.Linear(6, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256),
                                              torch.nn.ReLU(), torch.nn.Linear(256, outputs))
                    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-4)
                    x, y = torch.randn(batch, 6), torch.randn(batch, outputs)
                    steps = max(5, samples // batch)
                    def run(n):
                        for _ in range(n):
                            opt.zero_grad()
                            torch.nn.functional.mse_loss(net(x), y).backward()
                            opt.step()
                    run(2)
                    times = []
                    for _ in range(reps):
                        start = time.perf_counter(); run(steps); times.append(time.perf_counter() - start)
                    print(f"{threads}-{batch} {steps * batch / statistics.median(times)}")
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        var rates: [String: Double] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let rate = Double(parts[1]) { rates[String(parts[0])] = rate }
        }
        return rates
    }
}
