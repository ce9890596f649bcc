import Foundation
import Randomness

/// How to start the PyTorch trainer of one rank: the interpreter, the user's module and its hooks, the device, and
/// where melissa's Python package is.
public struct TorchTrainerSettings {
    /// The Python interpreter (a name looked up in `PATH`, or a path).
    public var python: String
    /// The user's module, an absolute path.
    public var module: String
    /// The factory `make_model(inputs, outputs, config)`.
    public var model: String
    /// The optimiser hook `make_optimizer(model, config)`, if any.
    public var makeOptimizer: String?
    /// The loss hook `loss(prediction, target)`, if any.
    public var loss: String?
    /// `auto`, `cpu` or `cuda`.
    public var device: String
    /// The `config` the factory and the hooks get (JSON values: the study's options, batch size, fields, parameters).
    public var config: [String: Any]
    /// torch's intra-op threads (0: torch's default).
    public var threads: Int
    /// The directory that holds `melissa_torch/` (``TorchPackage/locate()``).
    public var package: URL
    /// The trainer's working directory (the study directory); nil: this process's.
    public var workingDirectory: URL?
    /// Where the ring and the transient state files go; nil: /dev/shm when there is one, else the temporary
    /// directory.
    public var sharedMemoryDirectory: String?

    /// Creates the settings.
    public init(
        python: String, module: String, model: String, makeOptimizer: String?, loss: String?, device: String,
        config: [String: Any], threads: Int, package: URL, workingDirectory: URL?,
        sharedMemoryDirectory: String? = nil
    ) {
        self.python = python
        self.module = module
        self.model = model
        self.makeOptimizer = makeOptimizer
        self.loss = loss
        self.device = device
        self.config = config
        self.threads = threads
        self.package = package
        self.workingDirectory = workingDirectory
        self.sharedMemoryDirectory = sharedMemoryDirectory
    }
}

/// The PyTorch backend: one rank's trainer, the user's module trained in a Python process of its own
/// (`python -m melissa_torch.trainer`), fed through a shared-memory ring (docs/training.md, "The PyTorch backend").
///
/// This side keeps what the native trainer keeps: the staging of raw samples, the normalisation (learned and frozen
/// exactly as the native trainer does), the learning-rate schedule (sent as a factor each step), the step and sample
/// counts, the validation sums; the Python side owns the model and the optimiser. Each step writes the batch,
/// normalised, into the ring and waits for the trainer's reply (its loss; each row's loss is in the ring). With
/// several ranks the trainers form a `torch.distributed` group (DDP) whose all-reduce is the step's collective.
///
/// A trainer that dies or fails a command is a ``TrainingError/backend(_:)`` naming the rank, the Python error and
/// the last lines of the trainer's log.
public final class TorchTrainer: SurrogateTrainer {
    /// The configuration (its architecture's widths and the optimiser apply; the hidden layers do not).
    public let configuration: TrainerConfiguration
    /// Optimiser steps taken.
    public private(set) var stepCount = 0
    /// Samples trained on, all ranks together.
    public private(set) var samplesSeen = 0
    /// The input and output normalisation in use.
    public private(set) var normalizer: Normalizer
    /// See ``Trainer/warmupStatistics``.
    public var warmupStatistics: (() -> FeatureStatistics)?
    /// A factor on the optimiser's learning rate.
    public var learningRateScale: Float = 1
    /// The device the trainer chose (`cpu`, `cuda:0`), its torch version and the model's trainable values.
    public let device: String
    /// The trainer's torch version.
    public let torchVersion: String
    /// The model's trainable values.
    public let parameterCount: Int

    private let process: TorchProcess
    private let ring: TorchRing
    private let rank: Int
    private let sharedDirectory: String
    private let rawInputs: UnsafeMutableBufferPointer<Float>
    private let rawOutputs: UnsafeMutableBufferPointer<Float>
    private var inputScale: [Float] = []
    private var outputScale: [Float] = []
    private var sampleLossCount = 0
    private static let trainSlot = 0
    private static let predictSlot = 1
    /// Rows a prediction slot holds at least (validation goes in chunks of this many).
    private static let predictionRows = 64

    /// Starts rank `rank`'s trainer of `worldSize` (a DDP group meeting at `rendezvous`, `tcp://HOST:PORT`, when
    /// there are several) and waits until it has built the model and the optimiser.
    public init(
        configuration: TrainerConfiguration, settings: TorchTrainerSettings, rank: Int = 0, worldSize: Int = 1,
        rendezvous: String? = nil
    ) throws {
        try configuration.validate()
        self.configuration = configuration
        self.rank = rank
        let architecture = configuration.architecture
        normalizer = Normalizer.initial(for: configuration)
        let shared =
            settings.sharedMemoryDirectory
            ?? (FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory())
        sharedDirectory = shared
        let rows = max(configuration.maxBatchSize, Self.predictionRows)
        ring = try TorchRing(
            directory: shared, name: "melissa-torch-\(getpid())-rank\(rank)-\(UInt32.random(in: 0...UInt32.max)).ring",
            slots: 2, maxRows: rows, inputs: architecture.inputCount, outputs: architecture.outputCount)
        rawInputs = .allocate(capacity: configuration.maxBatchSize * architecture.inputCount)
        rawOutputs = .allocate(capacity: configuration.maxBatchSize * architecture.outputCount)
        rawInputs.initialize(repeating: 0)
        rawOutputs.initialize(repeating: 0)
        let role = worldSize > 1 ? "the PyTorch trainer of rank \(rank)" : "the PyTorch trainer"
        process = try TorchProcess(
            python: settings.python, module: "melissa_torch.trainer", package: settings.package,
            directory: settings.workingDirectory, role: role,
            prefix: worldSize > 1 ? "[trainer \(rank)] " : "[trainer] ")
        let optimizer = configuration.optimizer
        var command: [String: Any] = [
            "op": "init", "protocol": 1, "rank": rank, "world_size": worldSize, "device": settings.device,
            "module": settings.module, "model": settings.model, "inputs": architecture.inputCount,
            "outputs": architecture.outputCount, "config": settings.config,
            "optimizer": [
                "method": optimizer.method == .adam ? "adam" : "sgd", "learning_rate": Double(optimizer.learningRate),
                "beta1": Double(optimizer.beta1), "beta2": Double(optimizer.beta2),
                "epsilon": Double(optimizer.epsilon), "weight_decay": Double(optimizer.weightDecay),
                "momentum": Double(optimizer.momentum),
            ] as [String: Any],
            "seed": Int(truncatingIfNeeded: configuration.seed & 0x7FFF_FFFF_FFFF_FFFF), "threads": settings.threads,
            "ring": ring.path,
        ]
        command["rendezvous"] = rendezvous ?? NSNull()
        command["make_optimizer"] = settings.makeOptimizer ?? NSNull()
        command["loss"] = settings.loss ?? NSNull()
        let reply: [String: Any]
        do {
            reply = try Self.request(command, process: process, role: role)
        } catch {
            ring.removeFile()
            rawInputs.deallocate()
            rawOutputs.deallocate()
            throw error
        }
        // Mapped on both sides: the file can go, so that nothing is left however the server ends.
        ring.removeFile()
        device = reply["device"] as? String ?? settings.device
        torchVersion = reply["torch"] as? String ?? "?"
        parameterCount = reply["parameters"] as? Int ?? 0
        refreshScales()
    }

    deinit {
        if (try? request(["op": "quit"])) != nil { process.finish() }
        rawInputs.deallocate()
        rawOutputs.deallocate()
    }

    /// Ends the trainer process (it is ended anyway when this object goes).
    public func close() throws {
        try request(["op": "quit"])
        process.finish()
    }

    // MARK: The channel

    @discardableResult
    private func request(_ command: [String: Any]) throws -> [String: Any] {
        try Self.request(command, process: process, role: process.role)
    }

    private static func request(_ command: [String: Any], process: TorchProcess, role: String) throws -> [String: Any] {
        let op = command["op"] as? String ?? "?"
        let data = try JSONSerialization.data(withJSONObject: command)
        try process.send(Array(data) + [0x0A])
        let line = try process.receiveLine()
        guard let reply = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any] else {
            throw TrainingError.backend(
                "\(role) answered `\(op)` with an unreadable line: \(String(decoding: line.prefix(200), as: UTF8.self))"
            )
        }
        if reply["ok"] as? Bool == true { return reply }
        let error = reply["error"] as? String ?? "no error message"
        if reply["missing"] != nil {
            process.finish()
            throw TrainingError.backend("\(role) cannot start: \(error)")
        }
        let traceback = (reply["traceback"] as? String ?? "").split(separator: "\n").suffix(8)
        let detail = traceback.isEmpty ? "" : "\n" + traceback.map { "    " + $0 }.joined(separator: "\n")
        throw TrainingError.backend("\(role) failed at `\(op)`: \(error)\(detail)")
    }

    // MARK: Batches

    /// Copies `samples` into the staging buffers; returns how many were staged.
    @discardableResult
    public func stage(_ samples: some Collection<TrainingSample>) throws -> Int {
        try stageSamples(
            samples, inputs: rawInputs.baseAddress.unsafelyUnwrapped, outputs: rawOutputs.baseAddress.unsafelyUnwrapped,
            architecture: configuration.architecture, maxRows: configuration.maxBatchSize)
    }

    private func refreshScales() {
        inputScale = normalizer.inputStd.map { 1 / $0 }
        outputScale = normalizer.outputStd.map { 1 / $0 }
    }

    /// `(x − mean) · scale` of `rows` rows of `width` values from `source` into `destination`.
    private static func normalize(
        _ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>, mean: [Float], scale: [Float],
        rows: Int, width: Int
    ) {
        mean.withUnsafeBufferPointer { mean in
            scale.withUnsafeBufferPointer { scale in
                normalizeRows(
                    source, into: destination, mean: mean.baseAddress.unsafelyUnwrapped,
                    scale: scale.baseAddress.unsafelyUnwrapped, rows: rows, width: width)
            }
        }
    }

    // MARK: Training

    /// One optimiser step on the `count` staged samples of this rank (collective).
    @discardableResult
    public func step(staged count: Int, communicator: some TrainingCommunicator) throws -> StepResult? {
        guard count >= 0, count <= configuration.maxBatchSize else {
            throw TrainingError.batchTooLarge(count: count, maximum: configuration.maxBatchSize)
        }
        let total = try communicator.totalSamples(local: count)
        guard total > 0 else { return nil }
        let architecture = configuration.architecture
        if try normalizer.advance(
            recipe: configuration.normalization, warmupStatistics: warmupStatistics,
            rawInputs: rawInputs.baseAddress.unsafelyUnwrapped, rawOutputs: rawOutputs.baseAddress.unsafelyUnwrapped,
            inputCount: architecture.inputCount, outputCount: architecture.outputCount, rows: count,
            communicator: communicator)
        {
            refreshScales()
        }
        Self.normalize(
            rawInputs.baseAddress.unsafelyUnwrapped, into: ring.inputs(Self.trainSlot), mean: normalizer.inputMean,
            scale: inputScale, rows: count, width: architecture.inputCount)
        Self.normalize(
            rawOutputs.baseAddress.unsafelyUnwrapped, into: ring.targets(Self.trainSlot), mean: normalizer.outputMean,
            scale: outputScale, rows: count, width: architecture.outputCount)
        let learningRate = configuration.optimizer.learningRate(atStep: stepCount) * learningRateScale
        let factor = Double(learningRate) / Double(configuration.optimizer.learningRate)
        let reply = try request([
            "op": "train", "slot": Self.trainSlot, "rows": count, "total": total, "lr_factor": factor,
        ])
        var loss = [Float((reply["loss"] as? NSNumber)?.doubleValue ?? .nan)]
        if communicator.size > 1 { try loss.withUnsafeMutableBufferPointer { try communicator.sumInPlace($0) } }
        sampleLossCount = count
        let result = StepResult(loss: loss[0], samples: total, learningRate: learningRate, step: stepCount)
        stepCount += 1
        samplesSeen += total
        return result
    }

    /// The loss of each of this rank's samples at the latest step, from the ring.
    public func withSampleLosses<Result>(_ body: (UnsafeBufferPointer<Float>) throws -> Result) rethrows -> Result {
        try body(UnsafeBufferPointer(start: ring.losses(Self.trainSlot), count: sampleLossCount))
    }

    /// The model's raw (de-normalised) outputs for `samples`' inputs, in chunks through the ring's prediction slot:
    /// `body` gets each sample's index and its prediction (valid during the call only). Not collective.
    public func forEachPrediction<Samples: RandomAccessCollection<TrainingSample>>(
        _ samples: Samples, _ body: (Int, UnsafeBufferPointer<Float>) throws -> Void
    ) throws {
        let architecture = configuration.architecture
        let width = architecture.outputCount
        var row = [Float](repeating: 0, count: width)
        var offset = 0
        var index = samples.startIndex
        let inputs = ring.inputs(Self.predictSlot)
        let outputs = ring.targets(Self.predictSlot)
        while index != samples.endIndex {
            let end = samples.index(index, offsetBy: ring.maxRows, limitedBy: samples.endIndex) ?? samples.endIndex
            var count = 0
            for sample in samples[index..<end] {
                guard sample.input.count == architecture.inputCount else {
                    throw TrainingError.sampleShape(
                        expectedInputs: architecture.inputCount, expectedOutputs: width,
                        inputs: sample.input.count, outputs: sample.output.count)
                }
                sample.input.withUnsafeBufferPointer {
                    Self.normalize(
                        $0.baseAddress.unsafelyUnwrapped, into: inputs + count * architecture.inputCount,
                        mean: normalizer.inputMean, scale: inputScale, rows: 1, width: architecture.inputCount)
                }
                count += 1
            }
            try request(["op": "predict", "slot": Self.predictSlot, "rows": count])
            for r in 0..<count {
                let values = outputs + r * width
                for j in 0..<width { row[j] = values[j] * normalizer.outputStd[j] + normalizer.outputMean[j] }
                try row.withUnsafeBufferPointer { try body(offset + r, $0) }
            }
            offset += count
            index = end
        }
    }

    /// Keeps an in-memory copy of the model's weights under `name` (in the trainer process).
    public func keepWeights(as name: String) throws { try request(["op": "keep", "name": name]) }

    /// Loads the weights kept under `name` into the model.
    public func useWeights(_ name: String) throws { try request(["op": "use", "name": name]) }

    /// Nothing to do: DDP starts every rank from rank 0's weights when the group forms.
    public func synchronizeParameters(_ communicator: some TrainingCommunicator) throws {}

    // MARK: Checkpoints and export

    private func transientPath(_ what: String) -> String {
        (sharedDirectory as NSString).appendingPathComponent(
            "melissa-torch-\(getpid())-rank\(rank)-\(UInt32.random(in: 0...UInt32.max)).\(what)")
    }

    /// The plain state (no native parameters) and the trainer's `torch.save` of the model and the optimiser.
    public func checkpointState() throws -> (state: TrainerState, backend: Data?) {
        let path = transientPath("state")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try request(["op": "save", "path": path])
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw TrainingError.backend("\(process.role) saved its state to \(path), which cannot be read")
        }
        let state = TrainerState(
            configuration: configuration, parameters: [], firstMoment: [], secondMoment: [], step: stepCount,
            samplesSeen: samplesSeen, generator: Xoshiro256StarStar(seed: configuration.seed), normalizer: normalizer)
        return (state, bytes)
    }

    /// Continues from a checkpoint's state: the trainer loads the model and the optimiser from `backend`, and the
    /// counts and the normalisation come back.
    public func restore(state: TrainerState, backend: Data) throws {
        guard state.normalizer.inputCount == configuration.architecture.inputCount,
            state.normalizer.outputCount == configuration.architecture.outputCount
        else { throw TrainingError.inconsistentState("the checkpoint's normalisation does not match the widths") }
        let path = transientPath("state")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try backend.write(to: URL(fileURLWithPath: path))
        try request(["op": "load", "path": path])
        stepCount = state.step
        samplesSeen = state.samplesSeen
        normalizer = state.normalizer
        refreshScales()
    }

    /// Exports the model as TorchScript wrapping the normalisation (raw inputs to raw outputs), next to `url` as
    /// `<name>.pt`, and writes `url` as a melissa model file that embeds it (``TorchModelFile``).
    public func exportModel(to url: URL, parameterNames: [String], metadata: [String: String]) throws {
        let script = url.deletingPathExtension().appendingPathExtension("pt")
        let command: [String: Any] = [
            "op": "export", "path": script.path, "input_mean": normalizer.inputMean.map(Double.init),
            "input_std": normalizer.inputStd.map(Double.init), "output_mean": normalizer.outputMean.map(Double.init),
            "output_std": normalizer.outputStd.map(Double.init), "metadata": metadata,
        ]
        try request(command)
        let bytes = try Data(contentsOf: script)
        try TorchModelFile.write(
            TorchModelFile(
                inputCount: configuration.architecture.inputCount, outputCount: configuration.architecture.outputCount,
                parameterNames: parameterNames, metadata: metadata, torchScript: bytes),
            to: url)
    }
}
