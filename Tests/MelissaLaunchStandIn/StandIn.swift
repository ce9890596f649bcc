import Foundation
import Ingest
import Launching
import MelissaClient
import PlanModel
import Synchronization
import Transport
import WireProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// A stand-in for `melissa server` and for a simulation, for the launcher's tests.
///
/// - `MelissaLaunchStandIn server STUDY_DIR [--restart]`: an `IngestServer` for the plan's simulations; writes
///   `server.address`, answers `ping`/`give_up`, exits 0 once reception is over. It keeps the simulations that
///   finished in `<study dir>/standin-finished` so that a restart (`--restart` or `MELISSA_RESTART=1`) does not wait
///   for them again. With `<study dir>/standin-backlog` (K) its status reports a population of K per simulation
///   streaming now (what elasticity reacts to); otherwise the population is every sample received.
/// - `MelissaLaunchStandIn simulation [--fail ID:ATTEMPTS]… [--hang ID:ATTEMPTS]… [--hog ID:MIB]…
///   [--skip ID:ATTEMPTS]… [--linger ID:SECONDS]… [--step-delay SECONDS] [--value TEXT]`: streams the plan's time steps for `MELISSA_SIMULATION_ID` (attempt
///   `MELISSA_ATTEMPT`) and finishes; `--fail` makes attempts below ATTEMPTS of simulation ID exit 1 half-way,
///   `--hang` makes them stop sending and sleep (both only on a job's first run: not once Slurm requeued it,
///   `SLURM_RESTART_COUNT` > 0), `--skip` makes them leave out the middle step yet finish and exit 0, `--hog` makes every attempt of simulation ID fill MIB MiB of memory before it
///   starts, `--linger` makes attempt 0 of simulation ID wait SECONDS once it delivered everything before it exits. Each finished run appends `ID ATTEMPT` (then ` TEXT` when `--value` is given, e.g. a parameter's
///   `{{x}}`) to `<study dir>/standin-runs`.
/// - `MelissaLaunchStandIn worker STUDY_DIR`: the real worker of `execution.workers` (what `melissa worker` runs).
@main
enum StandIn {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            switch arguments.first {
            case "server": try server(Array(arguments.dropFirst()))
            case "simulation": try simulation(Array(arguments.dropFirst()))
            case "worker": try worker(Array(arguments.dropFirst()))
            default:
                FileHandle.standardError.write(Data("usage: MelissaLaunchStandIn server|simulation|worker …\n".utf8))
                exit(2)
            }
        } catch {
            FileHandle.standardError.write(Data("MelissaLaunchStandIn: \(error)\n".utf8))
            exit(1)
        }
    }

    static func loadPlan(_ directory: String) throws -> Plan {
        try PlanWriter.decode(Data(contentsOf: URL(fileURLWithPath: directory + "/plan.json")))
    }

    static func token(_ plan: Plan) throws -> [UInt8] {
        Array(try String(contentsOfFile: plan.tokenFile, encoding: .utf8).filter { !$0.isWhitespace }.utf8)
    }

    static func fields(_ plan: Plan) -> [FieldDeclaration] {
        plan.server.fields.map { FieldDeclaration(name: $0.name, size: UInt64($0.size ?? 4)) }
    }

    static func server(_ arguments: [String]) throws {
        guard let directory = arguments.first else { throw StandInError("server needs a study directory") }
        let plan = try loadPlan(directory)
        let restart = arguments.contains("--restart") || ProcessInfo.processInfo.environment["MELISSA_RESTART"] == "1"
        let configuration = IngestConfiguration(
            token: try token(plan), simulationIDs: Set(plan.simulations.map { UInt32($0.id) }), fields: fields(plan),
            timeSteps: UInt32(plan.simulation.timeSteps), studyDirectory: URL(fileURLWithPath: directory),
            silenceTimeout: Double(plan.simulation.timeoutSeconds))
        let sink = CountingSink()
        // `<study dir>/standin-backlog` (K) makes the status model a trainer that lags K samples behind each
        // simulation streaming now: population K × (simulations with some steps but not all), trained rate far above
        // the received one. The launcher's elasticity sees a full buffer or a starving trainer by how many run.
        let backlog = (try? String(contentsOfFile: directory + "/standin-backlog", encoding: .utf8))
            .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        let streaming = Atomic<Int>(0)
        let server = try IngestServer(configuration: configuration, sinks: [sink]) {
            guard let backlog else {
                return TrainingStatus(population: [sink.count], trainedPerSecond: 0, batches: 0, validationLoss: nil)
            }
            return TrainingStatus(
                population: [backlog * streaming.load(ordering: .relaxed)], trainedPerSecond: 1e6, batches: 0,
                validationLoss: nil)
        }
        let finishedFile = directory + "/standin-finished"
        if restart, let text = try? String(contentsOfFile: finishedFile, encoding: .utf8) {
            // As the real server restores its checkpoint: these simulations' steps were all received.
            let steps = Set(0..<UInt32(plan.simulation.timeSteps))
            var received: [UInt32: Set<UInt32>] = [:]
            for word in text.split(whereSeparator: \.isWhitespace) {
                if let id = UInt32(word) { received[id] = steps }
            }
            server.restore(received: received)
        }
        try server.start()
        var recorded: [UInt32] = []
        while !server.isReceptionOver {
            Thread.sleep(forTimeInterval: 0.05)
            if ProcessInfo.processInfo.environment["STANDIN_DEBUG"] != nil {
                FileHandle.standardError.write(Data("\(server.statistics) over=\(server.isReceptionOver)\n".utf8))
            }
            let counts = (0..<UInt32(plan.simulations.count)).map { ($0, server.completedTimeSteps(of: $0).count) }
            let done = counts.filter { $0.1 == plan.simulation.timeSteps }.map(\.0)
            streaming.store(counts.count { $0.1 > 0 && $0.1 < plan.simulation.timeSteps }, ordering: .relaxed)
            if done != recorded {
                recorded = done
                try? done.map(String.init).joined(separator: "\n").write(
                    toFile: finishedFile, atomically: true, encoding: .utf8)
            }
        }
        // Let the launcher see the last status before this process ends.
        Thread.sleep(forTimeInterval: 0.3)
        server.stop()
        // As the real server does once its model and report are written (the stand-in trains nothing; it stands
        // for a server that ended well).
        try ServerEnding(batches: 0, modelWritten: true).write(toStudy: URL(fileURLWithPath: directory))
        exit(0)
    }

    /// `worker STUDY_DIR`: the real worker (`melissa worker`, the Launching module's ``SimulationWorker``), for
    /// plans whose melissa executable is this stand-in.
    static func worker(_ arguments: [String]) throws {
        guard let directory = arguments.first, let options = SimulationWorker.Options(studyDirectory: directory) else {
            throw StandInError("worker needs a study directory and MELISSA_WORKER")
        }
        let worker = try SimulationWorker(options: options) { line in
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
        exit(worker.runHandlingSignals())
    }

    static func rule(_ arguments: [String], _ name: String) -> [Int: Int] {
        var rules: [Int: Int] = [:]
        for (index, argument) in arguments.enumerated() where argument == name && index + 1 < arguments.count {
            let parts = arguments[index + 1].split(separator: ":")
            if parts.count == 2, let id = Int(parts[0]), let attempts = Int(parts[1]) { rules[id] = attempts }
        }
        return rules
    }

    static func simulation(_ arguments: [String]) throws {
        let environment = ProcessInfo.processInfo.environment
        guard let directory = environment["MELISSA_STUDY_DIR"],
            let id = environment["MELISSA_SIMULATION_ID"].flatMap({ UInt32($0) })
        else { throw StandInError("MELISSA_STUDY_DIR and MELISSA_SIMULATION_ID are needed") }
        let attempt = UInt32(environment["MELISSA_ATTEMPT"] ?? "0") ?? 0
        let delay =
            arguments.firstIndex(of: "--step-delay").flatMap { index in
                index + 1 < arguments.count ? Double(arguments[index + 1]) : nil
            } ?? 0
        let firstRun = Int(environment["SLURM_RESTART_COUNT"] ?? "0") ?? 0 == 0
        let fails = firstRun && (rule(arguments, "--fail")[Int(id)].map { Int(attempt) < $0 } ?? false)
        let hangs = firstRun && (rule(arguments, "--hang")[Int(id)].map { Int(attempt) < $0 } ?? false)
        let skips = rule(arguments, "--skip")[Int(id)].map { Int(attempt) < $0 } ?? false
        if let mebibytes = rule(arguments, "--hog")[Int(id)] { hog(mebibytes) }
        let plan = try loadPlan(directory)
        let address = try ServerAddress.read(fromDirectory: URL(fileURLWithPath: directory), timeout: 60)
        let fields = fields(plan)
        let steps = UInt32(plan.simulation.timeSteps)
        let identity = SimulationIdentity(
            simulationID: id, attempt: attempt, ranks: 1, timeSteps: steps, fields: fields)
        try stream(
            plan: plan, address: address, identity: identity, fails: fails, hangs: hangs, skips: skips, delay: delay)
        // One write to a file opened for appending: concurrent simulations never lose each other's lines.
        let value =
            arguments.firstIndex(of: "--value").flatMap { index in
                index + 1 < arguments.count ? " " + arguments[index + 1] : nil
            } ?? ""
        let line = Array("\(id) \(attempt)\(value)\n".utf8)
        let descriptor = open(directory + "/standin-runs", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        if descriptor >= 0 {
            _ = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            close(descriptor)
        }
        // `--linger`: the first attempt has delivered everything, yet its process stays a while before it exits.
        if attempt == 0, let seconds = rule(arguments, "--linger")[Int(id)] {
            Thread.sleep(forTimeInterval: Double(seconds))
        }
        exit(0)
    }

    /// Allocates `mebibytes` MiB and writes every page, so that they count against the job's memory; never freed.
    static func hog(_ mebibytes: Int) {
        let size = mebibytes * 1024 * 1024
        guard let memory = malloc(size) else { return }
        memset(memory, 1, size)
        hogged.withLock { $0.append(Int(bitPattern: memory)) }
    }

    /// The addresses `hog` allocated (kept, so the memory stays in use).
    static let hogged = Mutex<[Int]>([])

    /// Streams every time step and finishes; returns once the context delivered everything (its deinit waits).
    static func stream(
        plan: Plan, address: ServerAddress, identity: SimulationIdentity, fails: Bool, hangs: Bool, skips: Bool,
        delay: Double
    ) throws {
        let fields = identity.fields
        let steps = identity.timeSteps
        let id = identity.simulationID
        let context = try ZMQContext()
        let registration = try StreamingClient.register(
            context: context, endpoint: address.registration, token: try token(plan), identity: identity, timeout: 30)
        let client = try StreamingClient(context: context, identity: identity, registration: registration)
        for step in 0..<steps {
            if (fails || hangs) && step == steps / 2 {
                if hangs { Thread.sleep(forTimeInterval: 3600) }
                client.close()
                exit(1)
            }
            // `--skip`: this step is never sent, yet the attempt finishes and exits 0 (its data is incomplete).
            if skips && step == steps / 2 { continue }
            for (index, field) in fields.enumerated() {
                let values = (0..<Int(field.size)).map { Float(id) * 1000 + Float(step) + Float($0) / 100 }
                try client.send(timeStep: step, field: index, values: values)
            }
            if delay > 0 { Thread.sleep(forTimeInterval: delay) }
        }
        try client.finish()
        if ProcessInfo.processInfo.environment["STANDIN_DEBUG"] != nil { Thread.sleep(forTimeInterval: 1) }
        client.close()
    }
}

/// Keeps count of the samples it gets.
final class CountingSink: SampleSink {
    private let total = Mutex(0)

    func accept(_ sample: Sample) { total.withLock { $0 += 1 } }

    var count: Int { total.withLock { $0 } }
}

/// A stand-in's failure.
struct StandInError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) { self.description = description }
}
