import Buffers
import Dispatch
import Distributed
import Foundation
import Ingest
import PlanModel
import Reporting
import StudySpec
import Synchronization
import Training
import WireProtocol

/// `melissa server`: the ingest feeds the buffer, the trainer reads it, metrics and checkpoints go to the study
/// directory, and the surrogate is exported when reception is over and the buffer drained.
///
/// With `training.ranks` R > 1 the server is R MPI processes (the plan's server job starts them under `mpirun` or
/// `srun`): each rank receives the time steps routed to it into its own buffer, the ranks train one model together
/// (gradients summed every step), rank 0 serves registration and control and writes metrics, model and report, and
/// every rank writes its own checkpoint file (docs/server.md).
public final class TrainingServer: Sendable {
    /// The study directory.
    public let studyDirectory: URL
    private let plan: Plan
    private let restart: Bool
    private let host: String
    private let log: @Sendable (String) -> Void
    private let stopRequested = Atomic<Bool>(false)
    private let status = Mutex(TrainingStatus())

    /// The checkpoint file of a one-rank server, and of rank 0 of a multi-rank one.
    public var checkpointURL: URL { checkpointURL(rank: 0) }
    /// The exported surrogate.
    public var modelURL: URL { studyDirectory.appendingPathComponent("model.melissa") }
    /// The metrics, one JSON object a line.
    public var metricsURL: URL { studyDirectory.appendingPathComponent("metrics.jsonl") }

    /// The checkpoint file of training rank `rank`: `checkpoint.melissa` for a one-rank server,
    /// `checkpoint-rank<r>.melissa` for each rank of a multi-rank one.
    public func checkpointURL(rank: Int) -> URL {
        studyDirectory.appendingPathComponent(
            plan.server.ranks == 1 ? "checkpoint.melissa" : "checkpoint-rank\(rank).melissa")
    }

    /// The checkpoint a multi-rank server's rank `rank` wrote before its latest one (kept until the next).
    public func previousCheckpointURL(rank: Int) -> URL {
        studyDirectory.appendingPathComponent("checkpoint-rank\(rank).previous.melissa")
    }

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
        guard plan.server.ranks >= 1 else { throw ServerError.plan("training.ranks is \(plan.server.ranks)") }
        // A stale address file would send simulations to a dead server: it goes before anything else happens.
        try? FileManager.default.removeItem(at: studyDirectory.appendingPathComponent("server.address"))
        for field in plan.server.fields where field.size == nil {
            throw ServerError.plan(
                "field `\(field.name)` has no size; give `simulation.fields: [{name: \(field.name), size: N}]`")
        }
    }

    /// Asks the server to checkpoint and stop (SIGTERM, the walltime warning). On a multi-rank server the ranks agree
    /// on it at their next step, so it is enough that one rank is asked.
    public func requestStop() {
        stopRequested.store(true, ordering: .sequentiallyConsistent)
    }

    /// Serves until reception is over and the buffer is drained (returns 0), or until a stop was requested (returns
    /// 143 after a checkpoint). Blocks the calling thread: call it from a dedicated thread or the main one. With
    /// `training.ranks` > 1 this thread initialises MPI and makes every MPI call; a rank that fails aborts the job
    /// (MPI_Abort), so that no other rank waits for it forever.
    public func run() throws -> Int32 {
        guard plan.server.ranks > 1 else { return try serve(LocalCommunicator()) }
        let mpi = try MPIRuntime(requesting: .funneled)
        let communicator = mpi.worldCommunicator()
        guard communicator.size == plan.server.ranks else {
            log(
                "melissa server: training.ranks is \(plan.server.ranks) but MPI started \(communicator.size) "
                    + "process(es); run it as `mpirun -np \(plan.server.ranks) melissa server …` (the plan's server "
                    + "script does)")
            mpi.abort(code: 1)
        }
        do {
            let code = try serve(communicator)
            try mpi.finalize()
            return code
        } catch {
            log("melissa server rank \(communicator.rank): \(error)")
            mpi.abort(code: 1)
        }
    }

    /// What each rank tells the others at every step (one all-gather of these integers).
    private struct RankReport {
        static let fixedCount = 10
        static var count: Int { fixedCount + RejectionReason.allCases.count }

        var staged = 0
        var drained = false
        var stop = false
        var completionChanged = false
        var population = 0
        var received = 0
        var statistics = IngestStatistics()

        var encoded: [Int64] {
            [
                Int64(staged), drained ? 1 : 0, stop ? 1 : 0, completionChanged ? 1 : 0, Int64(population),
                Int64(received), Int64(statistics.samples), Int64(statistics.duplicates),
                Int64(statistics.registrations), 0,
            ] + RejectionReason.allCases.map { Int64(statistics.rejected($0)) }
        }

        init() {}

        init(_ values: [Int64]) {
            staged = Int(values[0])
            drained = values[1] != 0
            stop = values[2] != 0
            completionChanged = values[3] != 0
            population = Int(values[4])
            received = Int(values[5])
            statistics.samples = Int(values[6])
            statistics.duplicates = Int(values[7])
            statistics.registrations = Int(values[8])
            for (index, reason) in RejectionReason.allCases.enumerated() {
                let count = Int(values[Self.fixedCount + index])
                if count > 0 { statistics.rejected[reason] = count }
            }
        }
    }

    /// The latest checkpoint every rank has (its current or its previous file, at the same batch), or nil.
    private func agreedCheckpoint(_ communicator: some ServerCommunicator) throws -> URL? {
        let rank = communicator.rank
        let candidates = [checkpointURL(rank: rank), previousCheckpointURL(rank: rank)]
        let batches = candidates.map { url -> Int64 in
            guard FileManager.default.fileExists(atPath: url.path),
                let checkpoint = try? ServerCheckpoint.read(from: url)
            else { return -1 }
            return Int64(checkpoint.batches)
        }
        let all = try communicator.allGather(batches)
        let common = Set(all[0].filter { $0 >= 0 }).filter { batch in all.allSatisfy { $0.contains(batch) } }
        guard let batch = common.max(), let index = batches.firstIndex(of: batch) else {
            if all.contains(where: { $0.contains { $0 >= 0 } }) && rank == 0 {
                log("the ranks' checkpoints have no batch in common: starting afresh")
            }
            return nil
        }
        return candidates[index]
    }

    private func serve<Communicator: ServerCommunicator>(_ communicator: Communicator) throws -> Int32 {
        let server = plan.server
        let rank = communicator.rank
        let ranks = communicator.size
        let distributed = ranks > 1
        let baseLog = self.log
        let prefix = distributed && rank > 0 ? "rank \(rank): " : ""
        let log: @Sendable (String) -> Void = { baseLog(prefix + $0) }
        let tokenText = try String(contentsOfFile: plan.tokenFile, encoding: .utf8).trimmingCharacters(
            in: .whitespacesAndNewlines)
        let fields = server.fields.map { FieldDeclaration(name: $0.name, size: UInt64($0.size ?? 0)) }
        let outputCount = fields.reduce(0) { $0 + Int($1.size) }
        let parameterSets = ParameterSets(plan: plan, directory: studyDirectory, log: log)
        let validationIDs = Set(plan.simulations.filter { $0.role == .validation }.map { UInt32($0.id) })
        let policy: BufferPolicy =
            switch server.buffer.policy {
            case .fifo: .fifo
            case .firo: .firo
            case .reservoir: .reservoir
            }
        // Each rank draws its own random reads: the seed is the study's, offset by the rank.
        let buffer = TrainingBuffer<TrainingSample>(
            policy: policy, capacity: server.buffer.capacity, watermark: server.buffer.watermark,
            seed: server.seed &+ UInt64(rank))
        let sink = StudySink(buffer: buffer, parameterSets: parameterSets, validationIDs: validationIDs)
        BLASThreads.set(server.training.threads)
        let configuration = TrainerConfiguration(
            training: server.training, parameterCount: plan.parameters.count, outputCount: outputCount,
            seed: server.seed)

        var trainer = try Trainer(configuration: configuration)
        var batches = 0
        var elapsedBefore = 0.0
        var received: ReceivedSteps = [:]
        var restored = false
        if restart {
            let chosen: URL? =
                distributed
                ? try agreedCheckpoint(communicator)
                : (FileManager.default.fileExists(atPath: checkpointURL.path) ? checkpointURL : nil)
            if let chosen {
                let checkpoint = try ServerCheckpoint.read(from: chosen)
                guard checkpoint.ranks == ranks, checkpoint.rank == rank else {
                    throw ServerError.checkpoint(
                        "\(chosen.path) is rank \(checkpoint.rank) of \(checkpoint.ranks); this is rank \(rank) of "
                            + "\(ranks)")
                }
                trainer = try Trainer(state: checkpoint.trainer)
                sink.restore(
                    buffer: checkpoint.buffer, received: checkpoint.received, validation: checkpoint.validation)
                received = checkpoint.received
                batches = checkpoint.batches
                elapsedBefore = checkpoint.elapsedSeconds
                restored = true
                log(
                    "restarted from \(chosen.path): batch \(batches), \(checkpoint.buffer.count) samples buffered, "
                        + "\(sink.receivedCount) received")
            } else {
                log("no checkpoint in \(studyDirectory.path): starting afresh")
            }
        }
        // Every rank starts from rank 0's weights (a restart restores identical ones on every rank).
        if distributed && !restored { try trainer.synchronizeParameters(communicator) }

        let loopback = host == "127.0.0.1" || host == "localhost" || host == "::1"
        var ingestConfiguration = IngestConfiguration(
            token: Array(tokenText.utf8), simulationIDs: Set(plan.simulations.map { UInt32($0.id) }), fields: fields,
            timeSteps: UInt32(plan.simulation.timeSteps), trainingRanks: ranks, host: loopback ? host : "*",
            studyDirectory: studyDirectory, silenceTimeout: Double(plan.simulation.timeoutSeconds))
        if !loopback { ingestConfiguration.advertisedHost = host }
        if distributed { ingestConfiguration.rank = rank }
        ingestConfiguration.parameterSet = { [parameterSets] simulation, attempt in
            parameterSets.parameterSet(simulationID: simulation, attempt: attempt)
        }
        let ingest = try IngestServer(
            configuration: ingestConfiguration, sinks: [sink],
            trainingStatus: { [self] in self.status.withLock { $0 } })
        ingest.restore(receivedByParameterSet: received)
        let address = try ingest.start(gatheringEndpoints: { try communicator.allGather($0[0]) })
        if let address {
            log("listening: registration \(address.registration), data \(address.data.joined(separator: " "))")
        }
        defer {
            // A receiving thread waiting for room in a full buffer gives up (what it held was not accepted), so that
            // the ingest's threads end.
            buffer.interrupt()
            ingest.stop()
            // Not listening any more: nobody should find this server's address.
            if address != nil {
                try? FileManager.default.removeItem(at: studyDirectory.appendingPathComponent("server.address"))
            }
        }

        // One rank: a monitor thread ends the buffer's waits (reception over: it drains; a stop request: the
        // trainer's wait ends without reading). Several ranks: the training loop decides both with the others.
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
        if !distributed { monitor.start() }

        let clock = ContinuousClock()
        let start = clock.now
        func elapsed() -> Double {
            let duration = clock.now - start
            return elapsedBefore + Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
        }
        let metrics = rank == 0 ? try MetricsLog(url: metricsURL) : nil
        let validationEvery = server.training.validation.everyBatches
        let checkpointEvery = server.training.checkpointEveryBatches
        var batch: [TrainingSample] = []
        var lossSum = 0.0
        var lossCount = 0
        var samplesSinceRecord = 0
        var lastRecord = elapsed()
        var lastValidation: Double?
        var reports: [RankReport] = []
        var syncedCompletion = -1
        var receptionAnnounced = false

        /// Every rank's report (one all-gather); agrees on completion when any rank's moved.
        func exchange(staged: Int, drained: Bool) throws -> [RankReport] {
            var mine = RankReport()
            mine.staged = staged
            mine.drained = drained
            mine.stop = stopRequested.load(ordering: .sequentiallyConsistent)
            let version = ingest.completionVersion
            mine.completionChanged = version != syncedCompletion
            mine.population = buffer.statistics.population
            mine.received = sink.receivedCount
            mine.statistics = ingest.statistics
            let all = try communicator.allGather(mine.encoded).map(RankReport.init)
            if all.contains(where: \.completionChanged) {
                var completion = ingest.localCompletion()
                try communicator.maximumInPlace(&completion)
                ingest.applyGlobalCompletion(completion)
                syncedCompletion = version
                if !receptionAnnounced, ingest.isReceptionOver {
                    receptionAnnounced = true
                    buffer.finishReception()
                }
            }
            if rank == 0 {
                let peers = all.dropFirst().reduce(IngestStatistics()) { $0.adding($1.statistics) }
                status.withLock {
                    $0.population = all.map(\.population)
                    $0.peers = peers
                }
            }
            reports = all
            return all
        }

        /// The validation loss and relative L2 error over every rank's held-out samples (collective).
        func validate() throws -> (loss: Double, relativeL2: Double)? {
            let held = sink.validationSamples
            let usable = trainer.normalizer.isFrozen || trainer.samplesSeen > 0
            var sums = [0.0, 0.0, 0.0, 0.0]
            if !held.isEmpty, usable {
                sums[0] = Double(try trainer.loss(held)) * Double(held.count)
                sums[1] = Double(held.count)
                (sums[2], sums[3]) = try Self.relativeL2Parts(trainer, held)
            }
            try communicator.sumInPlace(&sums)
            guard sums[1] > 0 else { return nil }
            return (sums[0] / sums[1], sums[3] > 0 ? (sums[2] / sums[3]).squareRoot() : 0)
        }

        func record(validate validating: Bool) throws {
            var validationLoss: Double?
            var relativeL2: Double?
            if validating, let result = try validate() {
                validationLoss = result.loss
                relativeL2 = result.relativeL2
                lastValidation = validationLoss
            }
            let now = elapsed()
            let statistics = buffer.statistics
            let population = distributed ? reports.reduce(0) { $0 + $1.population } : statistics.population
            let receivedCount = distributed ? reports.reduce(0) { $0 + $1.received } : sink.receivedCount
            let line = MetricsRecord(
                batch: batches, seconds: now, trainLoss: lossCount > 0 ? lossSum / Double(lossCount) : 0,
                validationLoss: validationLoss, relativeL2: relativeL2,
                samplesPerSecond: Double(samplesSinceRecord) / max(now - lastRecord, 1e-9),
                received: receivedCount,
                trained: trainer.samplesSeen, population: population,
                learningRate: Double(trainer.configuration.optimizer.learningRate(atStep: trainer.stepCount)))
            try metrics?.append(line)
            status.withLock {
                $0.population = distributed ? reports.map(\.population) : [statistics.population]
                $0.trainedPerSecond = line.samplesPerSecond
                $0.batches = batches
                $0.validationLoss = lastValidation
            }
            lossSum = 0
            lossCount = 0
            samplesSinceRecord = 0
            lastRecord = now
        }

        /// Writes this rank's checkpoint. Several ranks: each writes `<file>.next`, all meet at a barrier, then each
        /// keeps its current file as the previous one and renames the new one in, so that whatever instant a crash
        /// hits, the ranks' current or previous files share a batch (chosen on restart).
        func checkpoint() throws {
            let snapshot = sink.snapshot()
            let contents = ServerCheckpoint(
                trainer: trainer.state, buffer: snapshot.buffer, received: snapshot.received,
                validation: snapshot.validation, batches: batches, elapsedSeconds: elapsed(), rank: rank,
                ranks: ranks)
            guard distributed else {
                try contents.write(to: checkpointURL)
                return
            }
            let current = checkpointURL(rank: rank)
            let next = current.appendingPathExtension("next")
            try contents.write(to: next)
            try communicator.barrier()
            if FileManager.default.fileExists(atPath: current.path) {
                try Self.rename(current, to: previousCheckpointURL(rank: rank))
            }
            try Self.rename(next, to: current)
        }

        var stopped = false
        // Several ranks: a rank whose buffer has nothing waits up to 50 ms before it reports, but hardly at all while
        // the others train (it must not hold their steps back).
        var othersTraining = false
        while true {
            var count: Int
            var stop: Bool
            if distributed {
                let readable = buffer.getBatch(
                    server.training.batchSize, into: &batch, waitingAtMost: othersTraining ? 0.002 : 0.05)
                let all = try exchange(staged: batch.count, drained: !readable)
                count = all.reduce(0) { $0 + $1.staged }
                othersTraining = count > 0
                stop = all.contains(where: \.stop)
                if count == 0 {
                    if all.allSatisfy(\.drained) { break }
                    if stop {
                        stopped = true
                        break
                    }
                    continue
                }
            } else {
                guard buffer.getBatch(server.training.batchSize, into: &batch) else { break }
                count = batch.count
                stop = false
            }
            let staged = batch.isEmpty ? 0 : try trainer.stage(batch)
            guard let result = try trainer.step(staged: staged, communicator: communicator) else { break }
            batches += 1
            lossSum += Double(result.loss)
            lossCount += 1
            samplesSinceRecord += result.samples
            let validating = batches % validationEvery == 0
            if validating || batches % 10 == 0 { try record(validate: validating) }
            if batches % checkpointEvery == 0 { try checkpoint() }
            if !distributed { stop = stopRequested.load(ordering: .sequentiallyConsistent) }
            if stop {
                stopped = true
                break
            }
        }
        monitor.cancel()
        if !distributed { stopped = stopRequested.load(ordering: .sequentiallyConsistent) }
        if distributed { _ = try exchange(staged: 0, drained: true) }

        if stopped {
            try record(validate: false)
            try checkpoint()
            log("stopped on request at batch \(batches): checkpoint written to \(checkpointURL(rank: rank).path)")
            return 143
        }
        try record(validate: true)
        try checkpoint()
        let statistics = ingest.statistics
        guard rank == 0 else {
            log("done: \(batches) batches; \(sink.receivedCount) samples received on this rank")
            return 0
        }
        let names = plan.parameters.map(\.name)
        try trainer.surrogate(parameterNames: names).write(
            to: modelURL, metadata: ["study": plan.studyName, "batches": String(batches)])
        let report = try TrainingReport(
            metricsURL: metricsURL, directory: studyDirectory.appendingPathComponent("report"))
        try report.write(study: plan.studyName, capacity: server.buffer.capacity, watermark: server.buffer.watermark)
        let receivedCount = distributed ? reports.reduce(0) { $0 + $1.received } : sink.receivedCount
        let duplicates =
            distributed ? reports.reduce(0) { $0 + $1.statistics.duplicates } : statistics.duplicates
        log(
            "done: \(batches) batches on \(receivedCount) samples received (\(duplicates) duplicates "
                + "dropped); model written to \(modelURL.path); report in \(report.directory.path)")
        return 0
    }

    private static func rename(_ source: URL, to destination: URL) throws {
        if Foundation.rename(source.path, destination.path) != 0 {
            throw ServerError.checkpoint("cannot rename \(source.path) to \(destination.path): errno \(errno)")
        }
    }

    /// Each simulation's network input under the plan's values (its parameters; text values become their index
    /// among the sorted distinct values of that parameter).
    static func inputVectors(_ plan: Plan) -> [UInt32: [Float]] {
        ParameterSets(plan: plan, directory: URL(fileURLWithPath: "/nonexistent"), log: { _ in }).planInputs
    }

    /// ‖prediction − truth‖ / ‖truth‖ over (at most 500 of) the held-out samples, in the fields' own units.
    static func relativeL2(_ trainer: Trainer, _ samples: [TrainingSample]) throws -> Double {
        let (error, norm) = try relativeL2Parts(trainer, samples)
        return norm > 0 ? (error / norm).squareRoot() : 0
    }

    /// ‖prediction − truth‖² and ‖truth‖² over (at most 500 of) the held-out samples.
    static func relativeL2Parts(_ trainer: Trainer, _ samples: [TrainingSample]) throws -> (Double, Double) {
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
        return (error, norm)
    }
}
