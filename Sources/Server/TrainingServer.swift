import Buffers
import Dispatch
import Foundation
import Ingest
import Planning
import Reporting
import StudySpec
import Synchronization
import Training
import WireProtocol

/// `melissa server`: the ingest feeds the buffer, the trainer reads it, metrics and checkpoints go to the study
/// directory, and the surrogate is exported when reception is over and the buffer drained.
///
/// One training rank per process for now (`training.ranks` > 1 is refused with a clear message).
public final class TrainingServer: Sendable {
    /// The study directory.
    public let studyDirectory: URL
    private let plan: Plan
    private let restart: Bool
    private let host: String
    private let log: @Sendable (String) -> Void
    private let stopRequested = Atomic<Bool>(false)
    private let status = Mutex(TrainingStatus())

    /// The checkpoint file.
    public var checkpointURL: URL { studyDirectory.appendingPathComponent("checkpoint.melissa") }
    /// The exported surrogate.
    public var modelURL: URL { studyDirectory.appendingPathComponent("model.melissa") }
    /// The metrics, one JSON object a line.
    public var metricsURL: URL { studyDirectory.appendingPathComponent("metrics.jsonl") }

    /// A server for the plan in `studyDirectory`; `restart` resumes from the checkpoint when there is one. `host` is
    /// what simulations connect to: a loopback address is bound as it is; any other name or address is published
    /// while every interface is bound (ZeroMQ binds interfaces, not host names). By default a local study binds the
    /// loopback, any other this host's name, so that simulations on other nodes reach it.
    public init(
        studyDirectory: URL, restart: Bool, host: String? = nil,
        log: @escaping @Sendable (String) -> Void = { print($0) }
    ) throws {
        self.studyDirectory = studyDirectory
        let planURL = studyDirectory.appendingPathComponent("plan.json")
        guard let data = FileManager.default.contents(atPath: planURL.path) else {
            throw ServerError.plan("no plan at \(planURL.path); run `melissa plan` first")
        }
        self.plan = try PlanWriter.decode(data)
        self.restart = restart
        self.host = host ?? (plan.scheduler == .local ? "127.0.0.1" : ProcessInfo.processInfo.hostName)
        self.log = log
        guard plan.server.ranks == 1 else {
            throw ServerError.plan("training.ranks is \(plan.server.ranks); this server trains on one rank for now")
        }
        // A stale address file would send simulations to a dead server: it goes before anything else happens.
        try? FileManager.default.removeItem(at: studyDirectory.appendingPathComponent("server.address"))
        for field in plan.server.fields where field.size == nil {
            throw ServerError.plan(
                "field `\(field.name)` has no size; give `simulation.fields: [{name: \(field.name), size: N}]`")
        }
    }

    /// Asks the server to checkpoint and stop (SIGTERM, the walltime warning).
    public func requestStop() {
        stopRequested.store(true, ordering: .sequentiallyConsistent)
    }

    /// Serves until reception is over and the buffer is drained (returns 0), or until a stop was requested (returns
    /// 143 after a checkpoint). Blocks the calling thread: call it from a dedicated thread or the main one.
    public func run() throws -> Int32 {
        let server = plan.server
        let tokenText = try String(contentsOfFile: plan.tokenFile, encoding: .utf8).trimmingCharacters(
            in: .whitespacesAndNewlines)
        let fields = server.fields.map { FieldDeclaration(name: $0.name, size: UInt64($0.size ?? 0)) }
        let outputCount = fields.reduce(0) { $0 + Int($1.size) }
        let inputs = Self.inputVectors(plan)
        let validationIDs = Set(plan.simulations.filter { $0.role == .validation }.map { UInt32($0.id) })
        let policy: BufferPolicy =
            switch server.buffer.policy {
            case .fifo: .fifo
            case .firo: .firo
            case .reservoir: .reservoir
            }
        let buffer = TrainingBuffer<TrainingSample>(
            policy: policy, capacity: server.buffer.capacity, watermark: server.buffer.watermark, seed: server.seed)
        let sink = StudySink(buffer: buffer, inputs: inputs, validationIDs: validationIDs)
        BLASThreads.set(server.training.threads)
        let configuration = TrainerConfiguration(
            training: server.training, parameterCount: plan.parameters.count, outputCount: outputCount,
            seed: server.seed)

        var trainer = try Trainer(configuration: configuration)
        var batches = 0
        var elapsedBefore = 0.0
        var received: [UInt32: Set<UInt32>] = [:]
        if restart, FileManager.default.fileExists(atPath: checkpointURL.path) {
            let checkpoint = try ServerCheckpoint.read(from: checkpointURL)
            trainer = try Trainer(state: checkpoint.trainer)
            sink.restore(buffer: checkpoint.buffer, received: checkpoint.received, validation: checkpoint.validation)
            received = checkpoint.received
            batches = checkpoint.batches
            elapsedBefore = checkpoint.elapsedSeconds
            log(
                "restarted from \(checkpointURL.path): batch \(batches), \(checkpoint.buffer.count) samples buffered, "
                    + "\(received.values.reduce(0) { $0 + $1.count }) received")
        } else if restart {
            log("no checkpoint in \(studyDirectory.path): starting afresh")
        }

        let loopback = host == "127.0.0.1" || host == "localhost" || host == "::1"
        var ingestConfiguration = IngestConfiguration(
            token: Array(tokenText.utf8), simulationIDs: Set(plan.simulations.map { UInt32($0.id) }), fields: fields,
            timeSteps: UInt32(plan.simulation.timeSteps), trainingRanks: 1, host: loopback ? host : "*",
            studyDirectory: studyDirectory, silenceTimeout: Double(plan.simulation.timeoutSeconds))
        if !loopback { ingestConfiguration.advertisedHost = host }
        let ingest = try IngestServer(
            configuration: ingestConfiguration, sinks: [sink],
            trainingStatus: { [self] in self.status.withLock { $0 } })
        ingest.restore(received: received)
        let address = try ingest.start()
        log("listening: registration \(address.registration), data \(address.data.joined(separator: " "))")
        defer {
            ingest.stop()
            // Not listening any more: nobody should find this server's address.
            try? FileManager.default.removeItem(at: studyDirectory.appendingPathComponent("server.address"))
        }

        // Reception over: the buffer drains. A stop request: the trainer's wait ends without reading.
        let monitor = Thread { [self] in
            while true {
                if self.stopRequested.load(ordering: .sequentiallyConsistent) {
                    buffer.interrupt()
                    return
                }
                if ingest.isReceptionOver {
                    buffer.finishReception()
                    return
                }
                usleep(20_000)
            }
        }
        monitor.start()

        let clock = ContinuousClock()
        let start = clock.now
        func elapsed() -> Double {
            let duration = clock.now - start
            return elapsedBefore + Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
        }
        let metrics = try MetricsLog(url: metricsURL)
        let validationEvery = server.training.validation.everyBatches
        let checkpointEvery = server.training.checkpointEveryBatches
        var batch: [TrainingSample] = []
        var lossSum = 0.0
        var lossCount = 0
        var samplesSinceRecord = 0
        var lastRecord = elapsed()
        var lastValidation: Double?

        func record(validate: Bool) throws {
            var validationLoss: Double?
            var relativeL2: Double?
            if validate {
                let held = sink.validationSamples
                if !held.isEmpty, trainer.normalizer.isFrozen || trainer.samplesSeen > 0 {
                    validationLoss = Double(try trainer.loss(held))
                    relativeL2 = try Self.relativeL2(trainer, held)
                    lastValidation = validationLoss
                }
            }
            let now = elapsed()
            let statistics = buffer.statistics
            let line = MetricsRecord(
                batch: batches, seconds: now, trainLoss: lossCount > 0 ? lossSum / Double(lossCount) : 0,
                validationLoss: validationLoss, relativeL2: relativeL2,
                samplesPerSecond: Double(samplesSinceRecord) / max(now - lastRecord, 1e-9),
                received: sink.receivedCount,
                trained: trainer.samplesSeen, population: statistics.population,
                learningRate: Double(trainer.configuration.optimizer.learningRate(atStep: trainer.stepCount)))
            try metrics.append(line)
            status.withLock {
                $0 = TrainingStatus(
                    population: [statistics.population], trainedPerSecond: line.samplesPerSecond, batches: batches,
                    validationLoss: lastValidation)
            }
            lossSum = 0
            lossCount = 0
            samplesSinceRecord = 0
            lastRecord = now
        }

        func checkpoint() throws {
            let snapshot = sink.snapshot()
            try ServerCheckpoint(
                trainer: trainer.state, buffer: snapshot.buffer, received: snapshot.received,
                validation: snapshot.validation, batches: batches, elapsedSeconds: elapsed()
            ).write(to: checkpointURL)
        }

        while buffer.getBatch(server.training.batchSize, into: &batch) {
            let result = try trainer.step(batch)
            batches += 1
            lossSum += Double(result.loss)
            lossCount += 1
            samplesSinceRecord += result.samples
            let validate = batches % validationEvery == 0
            if validate || batches % 10 == 0 { try record(validate: validate) }
            if batches % checkpointEvery == 0 { try checkpoint() }
            if stopRequested.load(ordering: .sequentiallyConsistent) { break }
        }
        monitor.cancel()

        if stopRequested.load(ordering: .sequentiallyConsistent) {
            try record(validate: false)
            try checkpoint()
            log("stopped on request at batch \(batches): checkpoint written to \(checkpointURL.path)")
            return 143
        }
        try record(validate: true)
        try checkpoint()
        let names = plan.parameters.map(\.name)
        try trainer.surrogate(parameterNames: names).write(
            to: modelURL, metadata: ["study": plan.studyName, "batches": String(batches)])
        let report = try TrainingReport(
            metricsURL: metricsURL, directory: studyDirectory.appendingPathComponent("report"))
        try report.write(study: plan.studyName, capacity: server.buffer.capacity, watermark: server.buffer.watermark)
        let statistics = ingest.statistics
        log(
            "done: \(batches) batches on \(sink.receivedCount) samples received (\(statistics.duplicates) duplicates "
                + "dropped); model written to \(modelURL.path); report in \(report.directory.path)")
        return 0
    }

    /// Each simulation's network input (its parameters; text values become their index among the sorted distinct
    /// values of that parameter).
    static func inputVectors(_ plan: Plan) -> [UInt32: [Float]] {
        var textValues: [Int: [String]] = [:]
        for (index, _) in plan.parameters.enumerated() {
            let texts = plan.simulations.compactMap { job -> String? in
                if case .text(let value) = job.values[index] { return value }
                return nil
            }
            if !texts.isEmpty { textValues[index] = Array(Set(texts)).sorted() }
        }
        var result: [UInt32: [Float]] = [:]
        for job in plan.simulations {
            result[UInt32(job.id)] = job.values.enumerated().map { index, value in
                switch value {
                case .real(let number): return Float(number)
                case .integer(let number): return Float(number)
                case .text(let text): return Float(textValues[index]?.firstIndex(of: text) ?? 0)
                }
            }
        }
        return result
    }

    /// ‖prediction − truth‖ / ‖truth‖ over (at most 500 of) the held-out samples, in the fields' own units.
    static func relativeL2(_ trainer: Trainer, _ samples: [TrainingSample]) throws -> Double {
        let stride = max(1, samples.count / 500)
        var error = 0.0
        var norm = 0.0
        for sample in Swift.stride(from: 0, to: samples.count, by: stride).map({ samples[$0] }) {
            let prediction = try trainer.predict(input: sample.input)
            for (predicted, truth) in zip(prediction, sample.output) {
                error += Double(predicted - truth) * Double(predicted - truth)
                norm += Double(truth) * Double(truth)
            }
        }
        return norm > 0 ? (error / norm).squareRoot() : 0
    }
}
