import Buffers
import Distributed
import Foundation
import Ingest
import PlanModel
import StudySpec
import Synchronization
import Training

/// `melissa server`: the ingest feeds the buffer, the trainer reads it, metrics and checkpoints go to the study
/// directory, and the surrogate is exported when reception is over and the buffer drained.
///
/// With `training.ranks` R > 1 the server is R MPI processes (the plan's server job starts them under `mpirun` or
/// `srun`): each rank receives the time steps routed to it into its own buffer, the ranks train one model together
/// (gradients summed every step), rank 0 serves registration and control and writes metrics, model and report, and
/// every rank writes its own checkpoint file (docs/server.md).
///
/// Reading the code: `serve` builds one rank's pieces and runs ``TrainingLoop`` (the same loop for 1 and N ranks);
/// ``StepCoordinator`` says how each turn's batch comes and when training ends (``SingleRankSteps``,
/// ``MultiRankSteps``); ``CheckpointStore`` writes and chooses the checkpoint files; ``MetricsRecorder`` writes
/// `metrics.jsonl`, validates and draws the report.
public final class TrainingServer: Sendable {
    /// The study directory.
    public let studyDirectory: URL
    let plan: Plan
    private let restart: Bool
    private let host: String
    let log: @Sendable (String) -> Void
    /// What must not go unseen: a checkpoint that failed, one a restart could not use.
    let warn: @Sendable (String) -> Void
    private let stopRequested = Atomic<Bool>(false)
    private let status = Mutex(TrainingStatus())
    let checkpoints: CheckpointStore

    /// The checkpoint file of a one-rank server, and of rank 0 of a multi-rank one.
    public var checkpointURL: URL { checkpointURL(rank: 0) }
    /// The exported surrogate.
    public var modelURL: URL { studyDirectory.appendingPathComponent("model.melissa") }
    /// The metrics, one JSON object a line.
    public var metricsURL: URL { studyDirectory.appendingPathComponent("metrics.jsonl") }

    /// The checkpoint file of training rank `rank`: `checkpoint.melissa` for a one-rank server,
    /// `checkpoint-rank<r>.melissa` for each rank of a multi-rank one.
    public func checkpointURL(rank: Int) -> URL { checkpoints.url(rank: rank) }

    /// The checkpoint rank `rank` wrote before its latest one (kept until the next): `checkpoint.previous.melissa`
    /// for a one-rank server, `checkpoint-rank<r>.previous.melissa` for each rank of a multi-rank one.
    public func previousCheckpointURL(rank: Int) -> URL { checkpoints.previousURL(rank: rank) }

    /// A server for the plan in `studyDirectory`; `restart` resumes from the checkpoint when there is one. `host` is
    /// what simulations connect to: a loopback address is bound as it is; any other name or address is published
    /// while every interface is bound (ZeroMQ binds interfaces, not host names). By default a local study binds the
    /// loopback, any other this host's name, so that simulations on other nodes reach it. `log` gets the server's
    /// progress (standard output by default), `warn` what must not go unseen, such as a checkpoint that could not be
    /// written (standard error by default).
    public init(
        studyDirectory: URL, restart: Bool, host: String? = nil,
        log: @escaping @Sendable (String) -> Void = { print($0) },
        warn: (@Sendable (String) -> Void)? = nil
    ) throws {
        self.studyDirectory = studyDirectory
        let planURL = studyDirectory.appendingPathComponent("plan.json")
        guard let data = FileManager.default.contents(atPath: planURL.path) else {
            throw ServerError.plan("no plan at \(planURL.path); run `melissa plan` first")
        }
        self.plan = try PlanWriter.decode(data)
        self.checkpoints = CheckpointStore(directory: studyDirectory, ranks: plan.server.ranks)
        self.restart = restart
        self.host = host ?? (plan.scheduler == .local ? "127.0.0.1" : ProcessInfo.processInfo.hostName)
        self.log = log
        self.warn = warn ?? { FileHandle.standardError.write(Data("melissa server: \($0)\n".utf8)) }
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
        // A file size limit (`ulimit -f`) reached by a checkpoint makes its write fail (EFBIG, said and survived)
        // instead of killing the server with SIGXFSZ.
        signal(SIGXFSZ, SIG_IGN)
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
            warn("rank \(communicator.rank): \(error)")
            mpi.abort(code: 1)
        }
    }

    /// One rank's server: the buffer and the trainer (restored from the checkpoint on a restart), the ingest feeding
    /// them, the training loop, then the checkpoint and, when reception is over, the exported model and the report.
    private func serve(_ communicator: some ServerCommunicator) throws -> Int32 {
        let server = plan.server
        let rank = communicator.rank
        let baseLog = self.log
        let prefix = rank > 0 ? "rank \(rank): " : ""
        let log: @Sendable (String) -> Void = { baseLog(prefix + $0) }
        let baseWarn = self.warn
        let warn: @Sendable (String) -> Void = { baseWarn(prefix + $0) }
        let token = try String(contentsOfFile: plan.tokenFile, encoding: .utf8).trimmingCharacters(
            in: .whitespacesAndNewlines)
        let parameterSets = ParameterSets(plan: plan, directory: studyDirectory, log: log)
        let validationIDs = Set(plan.simulations.filter { $0.role == .validation }.map { UInt32($0.id) })
        // Each rank draws its own random reads: the seed is the study's, offset by the rank.
        let buffer = TrainingBuffer<TrainingSample>(
            policy: Self.policy(server.buffer.policy), capacity: server.buffer.capacity,
            watermark: server.buffer.watermark, seed: server.seed &+ UInt64(rank))
        let outputCount = server.fields.reduce(0) { $0 + ($1.size ?? 0) }
        let sink = StudySink(
            buffer: buffer, parameterSets: parameterSets, validationIDs: validationIDs, outputCount: outputCount,
            warmup: plan.normalizationWarmup.map { StudySink.Warmup(samples: $0.samples, simulations: $0.simulations) })
        log(
            try applyThreads(
                architecture: TrainerConfiguration(
                    training: server.training, parameterCount: plan.parameters.count, outputCount: outputCount,
                    seed: server.seed
                ).architecture))
        let (trainer, resumed) = try startTrainer(
            communicator, sink: sink, parameterInputs: Array(parameterSets.planInputs.values), log: log, warn: warn)
        if trainer.normalizer.isFrozen { sink.skipWarmup() }
        trainer.warmupStatistics = { sink.outputStatistics }

        let ingest = try IngestServer(
            configuration: IngestConfiguration(
                plan: plan, token: token, host: host, rank: rank, ranks: communicator.size,
                studyDirectory: studyDirectory, parameterSets: parameterSets),
            sinks: [sink], trainingStatus: { [self] in self.status.withLock { $0 } })
        ingest.restore(receivedByParameterSet: resumed?.received ?? [:])
        let address = try ingest.start(gatheringEndpoints: { try communicator.allGather($0[0]) })
        if let address {
            log("listening: registration \(address.registration), data \(address.data.joined(separator: " "))")
        }
        defer {
            parameterSets.flushLog()
            // A receiving thread waiting for room in a full buffer gives up (what it held was not accepted), so that
            // the ingest's threads end.
            buffer.interrupt()
            ingest.stop()
            // Not listening any more: nobody should find this server's address.
            if address != nil {
                try? FileManager.default.removeItem(at: studyDirectory.appendingPathComponent("server.address"))
            }
        }

        let isStopRequested: @Sendable () -> Bool = { [self] in
            self.stopRequested.load(ordering: .sequentiallyConsistent)
        }
        let updateStatus = { [self] (change: (inout TrainingStatus) -> Void) in self.status.withLock { change(&$0) } }
        let steps: any StepCoordinator =
            communicator.size == 1
            ? SingleRankSteps(
                buffer: buffer, sink: sink, ingest: ingest, batchSize: server.training.batchSize,
                isStopRequested: isStopRequested)
            : MultiRankSteps(
                communicator: communicator, buffer: buffer, sink: sink, ingest: ingest,
                batchSize: server.training.batchSize, isStopRequested: isStopRequested, updateStatus: updateStatus)
        // The learning rate follows the share of the study's samples received (the same on every rank).
        let expected = Double(max(plan.simulations.count * plan.simulation.timeSteps, 1))
        var loop = TrainingLoop(
            trainer: trainer, sink: sink, steps: steps, communicator: communicator, checkpoints: checkpoints,
            batchSize: server.training.batchSize, schedule: plan.loopSchedule,
            progress: { Double(steps.received) / expected }, updateStatus: updateStatus,
            recorder: try MetricsRecorder(
                url: rank == 0 ? metricsURL : nil, elapsedBefore: resumed?.elapsedSeconds ?? 0, log: log),
            batches: resumed?.batches ?? 0)
        if rank == 0 { loop.excerptURL = ReportExcerpt.url(inStudyDirectory: studyDirectory) }
        loop.scoredSimulations = trainingSimulationIDs
        if let resumed {
            loop.scores = SimulationLossTable(timeSteps: plan.simulation.timeSteps, entries: resumed.scores)
        }
        loop.warn = warn
        loop.lastWrittenBatch = resumed?.batches
        let stopped = try loop.run()
        return try finish(&loop, stopped: stopped, log: log)
    }

    /// The trainer of `communicator`'s rank, and the checkpoint it was restored from: on a restart with a
    /// checkpoint, its trainer (and the sink gets its samples back) from the newest generation valid on every rank
    /// (an unusable newer one is said through `warn`; none usable throws); otherwise a fresh one with rank 0's
    /// weights.
    private func startTrainer(
        _ communicator: some ServerCommunicator, sink: StudySink, parameterInputs: [[Float]], log: (String) -> Void,
        warn: (String) -> Void
    ) throws -> (any SurrogateTrainer, ServerCheckpoint?) {
        let configuration = TrainerConfiguration(plan: plan, parameterInputs: parameterInputs)
        let trainer = try freshTrainer(configuration, communicator: communicator, log: log)
        if restart {
            if let (url, checkpoint) = try checkpoints.restore(communicator, warn: warn) {
                let restored = try restoredTrainer(trainer, from: checkpoint, url: url)
                sink.restore(
                    buffer: checkpoint.buffer, received: checkpoint.received, validation: checkpoint.validation)
                log(
                    "restarted from \(url.path): batch \(checkpoint.batches), \(checkpoint.buffer.count) samples "
                        + "buffered, \(sink.receivedCount) received")
                return (restored, checkpoint)
            }
            log("no checkpoint in \(studyDirectory.path): starting afresh")
        }
        // Every rank starts from rank 0's weights (a restart restores identical ones on every rank).
        try trainer.synchronizeParameters(communicator)
        return (trainer, nil)
    }

    /// After the loop: a stopped server records and checkpoints (exit 143); a finished one records with a validation
    /// and checkpoints, then rank 0 exports the model and writes the report (exit 0).
    func finish(
        _ loop: inout TrainingLoop<some ServerCommunicator>, stopped: Bool, log: (String) -> Void
    ) throws -> Int32 {
        let rank = loop.communicator.rank
        let batches = loop.batches
        // Every rank's scores together, in `scores.json` (and the status) whether the server finished or stops.
        try loop.publishScores()
        if rank == 0 {
            // A file that cannot be written is said, and the checkpoint, the model and the report come all the same.
            do {
                try ScoreFile(batches: batches, scores: loop.agreedScores).write(toStudy: studyDirectory)
            } catch {
                loop.warn("cannot write \(studyDirectory.appendingPathComponent(ScoreFile.name).path): \(error)")
            }
        }
        if stopped {
            try loop.record(validate: false)
            if try loop.checkpoint() {
                log("stopped on request at batch \(batches): checkpoint written to \(checkpointURL(rank: rank).path)")
            } else if rank == 0 {
                let last = loop.lastWrittenBatch.map { "the last one written is of batch \($0)" } ?? "none was written"
                loop.warn("stopped on request at batch \(batches) without a checkpoint: \(last)")
            }
            return 143
        }
        // The checkpoint keeps the last weights (a restart goes on from them); the model gets the better validated.
        try loop.checkpoint()
        let exported = try loop.chooseExportedWeights()
        let duplicates = loop.steps.duplicates
        guard rank == 0 else {
            log("done: \(batches) batches; \(loop.sink.receivedCount) samples received on this rank")
            return 0
        }
        // A model trained on nothing would print numbers all the same: none is written (and none left from before).
        let written = batches > 0
        if written {
            try loop.trainer.exportModel(
                to: modelURL, parameterNames: plan.parameters.map(\.name),
                metadata: modelMetadata(batches: batches, exported: exported).merging(backendMetadata()) { $1 })
        } else {
            try? FileManager.default.removeItem(at: modelURL)
        }
        let report = try MetricsRecorder.writeReport(
            metricsURL: metricsURL, directory: studyDirectory.appendingPathComponent("report"), study: plan.studyName,
            capacity: plan.server.buffer.capacity, watermark: plan.server.buffer.watermark)
        try ServerEnding(batches: batches, modelWritten: written).write(toStudy: studyDirectory)
        log(
            "done: \(batches) batches on \(loop.steps.received) samples received (\(duplicates) duplicate chunks "
                + "dropped); "
                + (written
                    ? "model (the weights of batch \(exported)) written to \(modelURL.path)"
                    : "no batch trained: no model written")
                + "; report in \(report.directory.path)")
        return 0
    }

    /// The plan's training simulations (not the held-out ones), in id order: the slots of the ranks' scores.
    var trainingSimulationIDs: [UInt32] {
        plan.simulations.filter { $0.role != .validation }.map { UInt32($0.id) }.sorted()
    }

    /// What the model file says about the study, for `melissa predict`'s warnings: the time steps trained on and
    /// each bounded parameter's support (`range.<name>`: `lower upper`).
    func modelMetadata(batches: Int, exported: Int) -> [String: String] {
        var metadata = [
            "study": plan.studyName, "batches": String(batches), "weights_of_batch": String(exported),
            "time_steps": String(plan.simulation.timeSteps),
        ]
        for parameter in plan.parameters {
            let range: (Double, Double)? =
                switch parameter.distribution {
                case .uniform(let lower, let upper), .logUniform(let lower, let upper): (lower, upper)
                case .integerUniform(let lower, let upper): (Double(lower), Double(upper))
                case .normal(_, _, let lower?, let upper?): (lower, upper)
                default: nil
                }
            if let range { metadata["range." + parameter.name] = "\(range.0) \(range.1)" }
        }
        return metadata
    }

    static func policy(_ policy: BufferSpec.Policy) -> BufferPolicy {
        switch policy {
        case .fifo: .fifo
        case .firo: .firo
        case .reservoir: .reservoir
        }
    }
}
