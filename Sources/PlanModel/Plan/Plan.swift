import Foundation
import Sampling
import StudySpec

/// A study's job graph: plain data, produced by Planning's `Planner` and written by ``PlanWriter`` as `plan.json`.
///
/// The schema is documented in `docs/plan-format.md`. Paths are absolute unless said otherwise; nothing
/// secret is in it (the token stays in ``tokenFile``).
public struct Plan: Sendable, Hashable, Codable {
    /// The schema version this code writes. Version 2 stores the command template once and the simulations as a
    /// parameter table; version 1 repeated every simulation's rendered command line.
    public static let currentSchemaVersion = 2

    /// The version of the plan's schema (``currentSchemaVersion``).
    public var schemaVersion: Int
    /// The study's name; prefixes every job name.
    public var studyName: String
    /// The study directory (absolute): plan, logs, journal, checkpoints.
    public var studyDirectory: String
    /// The directory of the study file (absolute).
    public var studyFileDirectory: String
    /// The directory of the study's own templates (absolute), when it has one.
    public var templatesDirectory: String?
    /// The file that holds the study's secret token (`<study dir>/token`); the token itself is never in the plan.
    public var tokenFile: String
    /// Where the server publishes its address once it listens (`<study dir>/server.address`).
    public var serverAddressFile: String
    /// Where the jobs' standard output and error go (`<study dir>/logs`).
    public var logsDirectory: String
    /// The scheduler the scripts are written for.
    public var scheduler: ExecutionSpec.Scheduler
    /// Online or offline (a plan without it is online).
    public var mode: ExecutionSpec.Mode
    /// How simulations are submitted to Slurm; nil for local.
    public var packing: SlurmOptions.Packing?
    /// Seconds before its walltime at which a Slurm job is warned with SIGUSR1; nil for local.
    public var warningSeconds: Int?
    /// The elastic window of simultaneous simulations (its maximum throttles the job array).
    public var concurrency: Concurrency
    /// The parameters, in study order; every ``SimulationJob/values`` follows this order.
    public var parameters: [PlanParameter]
    /// The training server.
    public var server: ServerJob
    /// What every simulation shares.
    public var simulation: SimulationSettings
    /// Slurm options of the simulations' jobs; nil for local.
    public var simulationSlurm: SlurmJobOptions?
    /// The simulations' job name, `<study>-sim`.
    public var simulationJobName: String
    /// Every simulation, by id: training first, then validation (`plan.json`'s parameter table).
    public var simulations: [SimulationJob]
    /// The edges of the job graph.
    public var dependencies: [JobDependency]
    /// The samplers' states after drawing, to draw more later.
    public var samplers: PlanSamplers
    /// The scripts, relative to the study directory.
    public var scripts: PlanScripts
    /// What the plan requests in all.
    public var totals: PlanTotals
    /// The rules of an adaptive study; nil for a study whose parameter sets are all drawn before it starts.
    public var adaptive: AdaptivePlan?
    /// One Slurm allocation for the whole study (`execution.slurm.allocation: single`); nil when the server and each
    /// simulation are jobs of their own.
    public var allocation: AllocationPlan?
    /// The worker jobs that run the simulations (`execution.workers`); nil: one scheduler job per simulation.
    public var workers: PlanWorkers?

    /// Creates a plan (normally done by Planning's `Planner`).
    public init(
        studyName: String,
        studyDirectory: String,
        studyFileDirectory: String,
        templatesDirectory: String?,
        scheduler: ExecutionSpec.Scheduler,
        packing: SlurmOptions.Packing?,
        warningSeconds: Int?,
        concurrency: Concurrency,
        parameters: [PlanParameter],
        server: ServerJob,
        simulation: SimulationSettings,
        simulationSlurm: SlurmJobOptions?,
        simulations: [SimulationJob],
        samplers: PlanSamplers,
        scripts: PlanScripts,
        mode: ExecutionSpec.Mode = .online,
        adaptive: AdaptivePlan? = nil,
        allocation: AllocationPlan? = nil,
        workers: PlanWorkers? = nil
    ) {
        self.adaptive = adaptive
        self.allocation = allocation
        self.workers = workers
        self.mode = mode
        self.schemaVersion = Self.currentSchemaVersion
        self.studyName = studyName
        self.studyDirectory = studyDirectory
        self.studyFileDirectory = studyFileDirectory
        self.templatesDirectory = templatesDirectory
        self.tokenFile = studyDirectory + "/token"
        self.serverAddressFile = studyDirectory + "/server.address"
        self.logsDirectory = studyDirectory + "/logs"
        self.scheduler = scheduler
        self.packing = packing
        self.warningSeconds = warningSeconds
        self.concurrency = concurrency
        self.parameters = parameters
        self.server = server
        self.simulation = simulation
        self.simulationSlurm = simulationSlurm
        self.simulationJobName = studyName + "-sim"
        self.simulations = simulations
        self.dependencies = [JobDependency(dependent: .simulations, prerequisite: .server, condition: .listening)]
        self.samplers = samplers
        self.scripts = scripts
        // Workers: `count` jobs of a simulation's resources for the workers' walltime, at least (a worker that ends
        // is replaced while work remains).
        var worker = simulation.resources
        worker.walltime = workers?.walltime ?? worker.walltime
        self.totals = Self.totals(
            server: server.resources, simulation: worker, count: workers?.count ?? simulations.count)
        if let allocation { self.totals = Self.totals(allocation) }
    }

    /// Simulations whose samples are trained on.
    public var trainingCount: Int { simulations.count { $0.role == .training } }
    /// Held-out simulations.
    public var validationCount: Int { simulations.count { $0.role == .validation } }

    /// Whether the simulations write their data to disk instead of streaming it (`execution.mode: offline`).
    public var isOffline: Bool { mode == .offline }

    /// Where an offline study's simulations write their data.
    public var offlineDataDirectory: String { studyDirectory + "/data" }

    /// The parameter values of `job` by name, in parameter order.
    public func namedValues(of job: SimulationJob) -> [(name: String, value: ParameterValue)] {
        zip(parameters, job.values).map { (name: $0.name, value: $1) }
    }

    /// Totals of a server and `count` simulations (or workers) of the same resources.
    static func totals(server: Resources, simulation: Resources, count: Int) -> PlanTotals {
        func seconds(_ resources: Resources, _ factor: Int) -> Int { factor * resources.walltime.seconds }
        let coreSeconds = seconds(server, server.cores) + count * seconds(simulation, simulation.cores)
        let nodeSeconds = seconds(server, server.nodes) + count * seconds(simulation, simulation.nodes)
        let gpuSeconds =
            seconds(server, server.gpus * server.nodes) + count
            * seconds(simulation, simulation.gpus * simulation.nodes)
        return PlanTotals(
            jobs: count + 1,
            coreHours: Double(coreSeconds) / 3600,
            nodeHours: Double(nodeSeconds) / 3600,
            gpuHours: Double(gpuSeconds) / 3600
        )
    }

    /// Totals of one allocation held for its whole walltime: one job; its components' cores, nodes (at least) and
    /// GPUs.
    static func totals(_ allocation: AllocationPlan) -> PlanTotals {
        let hours = Double(allocation.walltime.seconds) / 3600
        let components = allocation.components
        return PlanTotals(
            jobs: 1,
            coreHours: Double(components.map { $0.tasks * $0.cpusPerTask }.reduce(0, +)) * hours,
            nodeHours: Double(components.map(\.minimumNodes).reduce(0, +)) * hours,
            gpuHours: Double(components.map { $0.gpus * $0.minimumNodes }.reduce(0, +)) * hours
        )
    }

    private enum CodingKeys: String, CodingKey {
        case schemaVersion
        case studyName
        case studyDirectory
        case studyFileDirectory
        case templatesDirectory
        case tokenFile
        case serverAddressFile
        case logsDirectory
        case scheduler
        case mode
        case packing
        case warningSeconds
        case concurrency
        case parameters
        case server
        case simulation
        case simulationSlurm
        case simulationJobName
        case simulations
        case dependencies
        case samplers
        case scripts
        case totals
        case adaptive
        case allocation
        case workers
    }

    /// Decodes a plan, giving each value the type of its parameter (JSON does not tell `500` from `500.0`).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        schemaVersion = try container.decode(Int.self, forKey: .schemaVersion)
        guard schemaVersion == Self.currentSchemaVersion else {
            throw PlanningError.unsupportedPlanVersion(schemaVersion, expected: Self.currentSchemaVersion)
        }
        studyName = try container.decode(String.self, forKey: .studyName)
        studyDirectory = try container.decode(String.self, forKey: .studyDirectory)
        studyFileDirectory = try container.decode(String.self, forKey: .studyFileDirectory)
        templatesDirectory = try container.decodeIfPresent(String.self, forKey: .templatesDirectory)
        tokenFile = try container.decode(String.self, forKey: .tokenFile)
        serverAddressFile = try container.decode(String.self, forKey: .serverAddressFile)
        logsDirectory = try container.decode(String.self, forKey: .logsDirectory)
        scheduler = try container.decode(ExecutionSpec.Scheduler.self, forKey: .scheduler)
        mode = try container.decodeIfPresent(ExecutionSpec.Mode.self, forKey: .mode) ?? .online
        packing = try container.decodeIfPresent(SlurmOptions.Packing.self, forKey: .packing)
        warningSeconds = try container.decodeIfPresent(Int.self, forKey: .warningSeconds)
        concurrency = try container.decode(Concurrency.self, forKey: .concurrency)
        parameters = try container.decode([PlanParameter].self, forKey: .parameters)
        server = try container.decode(ServerJob.self, forKey: .server)
        simulation = try container.decode(SimulationSettings.self, forKey: .simulation)
        simulationSlurm = try container.decodeIfPresent(SlurmJobOptions.self, forKey: .simulationSlurm)
        simulationJobName = try container.decode(String.self, forKey: .simulationJobName)
        let parameters = parameters
        simulations = try container.decode(ParameterTable.self, forKey: .simulations).jobs(parameters: parameters)
        dependencies = try container.decode([JobDependency].self, forKey: .dependencies)
        samplers = try container.decode(PlanSamplers.self, forKey: .samplers)
        scripts = try container.decode(PlanScripts.self, forKey: .scripts)
        totals = try container.decode(PlanTotals.self, forKey: .totals)
        adaptive = try container.decodeIfPresent(AdaptivePlan.self, forKey: .adaptive)
        allocation = try container.decodeIfPresent(AllocationPlan.self, forKey: .allocation)
        workers = try container.decodeIfPresent(PlanWorkers.self, forKey: .workers)
    }

    /// The `userInfo` key that makes ``encode(to:)`` write ``rowsPlaceholder`` instead of the parameter table, for
    /// ``PlanWriter`` to splice in the table it writes by hand.
    static let omitRowsKey = CodingUserInfoKey(rawValue: "melissa.plan.omit-rows")!
    /// What stands for the parameter table when ``omitRowsKey`` is set.
    static let rowsPlaceholder = "\u{1}melissa-parameter-table\u{1}"

    /// Encodes the plan; `simulations` as the parameter table (``ParameterTable``).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(schemaVersion, forKey: .schemaVersion)
        try container.encode(studyName, forKey: .studyName)
        try container.encode(studyDirectory, forKey: .studyDirectory)
        try container.encode(studyFileDirectory, forKey: .studyFileDirectory)
        try container.encodeIfPresent(templatesDirectory, forKey: .templatesDirectory)
        try container.encode(tokenFile, forKey: .tokenFile)
        try container.encode(serverAddressFile, forKey: .serverAddressFile)
        try container.encode(logsDirectory, forKey: .logsDirectory)
        try container.encode(scheduler, forKey: .scheduler)
        try container.encode(mode, forKey: .mode)
        try container.encodeIfPresent(packing, forKey: .packing)
        try container.encodeIfPresent(warningSeconds, forKey: .warningSeconds)
        try container.encode(concurrency, forKey: .concurrency)
        try container.encode(parameters, forKey: .parameters)
        try container.encode(server, forKey: .server)
        try container.encode(simulation, forKey: .simulation)
        try container.encodeIfPresent(simulationSlurm, forKey: .simulationSlurm)
        try container.encode(simulationJobName, forKey: .simulationJobName)
        if encoder.userInfo[Self.omitRowsKey] as? Bool == true {
            try container.encode(Self.rowsPlaceholder, forKey: .simulations)
        } else {
            try container.encode(try ParameterTable(simulations), forKey: .simulations)
        }
        try container.encode(dependencies, forKey: .dependencies)
        try container.encode(samplers, forKey: .samplers)
        try container.encode(scripts, forKey: .scripts)
        try container.encode(totals, forKey: .totals)
        try container.encodeIfPresent(adaptive, forKey: .adaptive)
        try container.encodeIfPresent(allocation, forKey: .allocation)
        try container.encodeIfPresent(workers, forKey: .workers)
    }

    /// Simulation `id`'s own batch file, relative to the study directory: `packing: jobs` only (otherwise the shared
    /// ``PlanScripts/simulations`` script runs it).
    public func simulationScript(_ id: Int) -> String? {
        scripts.simulations == nil ? "scripts/simulation-\(id).sbatch" : nil
    }
}
