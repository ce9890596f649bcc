import PlanModel

/// One submission: which script, with what arguments and environment, and the scheduler options a retry changes.
///
/// What a job asks of the scheduler (its `#SBATCH` header, its MPI launch) is in the plan's scripts; a request
/// only adds what varies between submissions: the attempt, the array chunk and throttle, a node to avoid, more
/// memory. Build one from the plan with ``server(of:attempt:restart:)``, ``simulation(_:of:attempt:)`` or
/// ``simulations(_:of:throttle:attempt:)``.
public struct SubmissionRequest: Sendable, Hashable {
    /// What it runs.
    public var role: JobRole
    /// The job's name (the script's own `--job-name` for Slurm; the name queries look for).
    public var name: String
    /// The script, absolute.
    public var script: String
    /// Arguments given to the script (local: the simulation id).
    public var arguments: [String]
    /// The attempt, from 0: `MELISSA_ATTEMPT` in the job's environment.
    public var attempt: Int
    /// More variables for the job's environment (`MELISSA_ATTEMPT` and `MELISSA_ARRAY_OFFSET` are added).
    public var environment: [String: String]
    /// Submit as a job array over these simulations (Slurm, `packing: array`).
    public var array: ArrayChunk?
    /// At most this many array tasks at once (`%N`).
    public var throttle: Int?
    /// Slurm's `--dependency` value (`afterok:123`), if any.
    public var dependency: String?
    /// Nodes not to run on (`--exclude`): where this job's last attempt met a node failure.
    public var excludedNodes: [String]
    /// Memory per node in MiB, overriding the script's (`--mem`): a retry after running out of memory.
    public var memoryMiB: Int?
    /// A walltime in seconds, overriding the script's (Slurm `--time`; the local adapter enforces it itself).
    public var timeLimitSeconds: Int?
    /// More `sbatch` options, as separate words.
    public var extraArguments: [String]
    /// The directory the job starts in (default: the study directory).
    public var workingDirectory: String?

    /// Creates a request.
    public init(
        role: JobRole,
        name: String,
        script: String,
        arguments: [String] = [],
        attempt: Int = 0,
        environment: [String: String] = [:],
        array: ArrayChunk? = nil,
        throttle: Int? = nil,
        dependency: String? = nil,
        excludedNodes: [String] = [],
        memoryMiB: Int? = nil,
        timeLimitSeconds: Int? = nil,
        extraArguments: [String] = [],
        workingDirectory: String? = nil
    ) {
        self.role = role
        self.name = name
        self.script = script
        self.arguments = arguments
        self.attempt = attempt
        self.environment = environment
        self.array = array
        self.throttle = throttle
        self.dependency = dependency
        self.excludedNodes = excludedNodes
        self.memoryMiB = memoryMiB
        self.timeLimitSeconds = timeLimitSeconds
        self.extraArguments = extraArguments
        self.workingDirectory = workingDirectory
    }

    /// The environment the job gets on top of the launcher's: ``environment`` plus `MELISSA_ATTEMPT` and, for an
    /// array, `MELISSA_ARRAY_OFFSET`.
    public var jobEnvironment: [String: String] {
        var variables = environment
        variables["MELISSA_ATTEMPT"] = String(attempt)
        if let array { variables["MELISSA_ARRAY_OFFSET"] = String(array.first) }
        return variables
    }

    /// The jobs a submission that returned `id` stands for: one per array task, or `id` itself.
    public func jobs(submittedAs id: JobID) -> [JobID] {
        guard let array else { return [id] }
        return (0..<array.count).map { id.task($0) }
    }

    /// The server's submission. A `restart` sets `MELISSA_RESTART=1`: the server resumes from its checkpoint.
    public static func server(of plan: Plan, attempt: Int = 0, restart: Bool = false) -> SubmissionRequest {
        SubmissionRequest(
            role: .server, name: plan.server.name, script: path(plan.server.script, in: plan), attempt: attempt,
            environment: restart ? ["MELISSA_RESTART": "1"] : [:], workingDirectory: plan.studyDirectory)
    }

    /// One simulation's submission on this machine: the local script with the simulation's id. The adapter enforces
    /// the walltime (Slurm enforces a batch file's itself).
    public static func localSimulation(_ id: Int, of plan: Plan, attempt: Int = 0) -> SubmissionRequest {
        var request = SubmissionRequest(
            role: .simulation(id), name: plan.simulationJobName,
            script: path(plan.scripts.simulations ?? "scripts/simulation.sh", in: plan), arguments: [String(id)],
            attempt: attempt, workingDirectory: plan.studyDirectory)
        request.timeLimitSeconds = plan.simulation.resources.walltime.seconds
        return request
    }

    /// One simulation's batch submission: its own batch file (`packing: jobs`), or a one-task array of the array
    /// script (`packing: array`).
    public static func batchSimulation(_ id: Int, of plan: Plan, attempt: Int = 0) -> SubmissionRequest {
        var request = SubmissionRequest(
            role: .simulation(id), name: plan.simulationJobName, script: "", attempt: attempt,
            workingDirectory: plan.studyDirectory)
        if let script = plan.simulationScript(id) {
            request.script = path(script, in: plan)
        } else {
            request.script = path(plan.scripts.simulations ?? "scripts/simulations.sbatch", in: plan)
            request.array = ArrayChunk(first: id, count: 1)
            request.throttle = 1
        }
        return request
    }

    /// Worker `number`'s submission (`execution.workers`): the worker script with the number, under the workers'
    /// walltime (the local adapter enforces it; Slurm's `--time` repeats the script's). Nil for a plan without
    /// workers.
    public static func worker(_ number: Int, of plan: Plan) -> SubmissionRequest? {
        guard let workers = plan.workers else { return nil }
        var request = SubmissionRequest(
            role: .worker(number), name: workers.jobName, script: path(workers.script, in: plan),
            arguments: [String(number)], workingDirectory: plan.studyDirectory)
        request.timeLimitSeconds = workers.walltime.seconds
        return request
    }

    /// A chunk of the simulation array (Slurm, `packing: array`), at most `throttle` tasks at once.
    public static func simulations(
        _ chunk: ArrayChunk, of plan: Plan, throttle: Int, attempt: Int = 0
    ) -> SubmissionRequest {
        SubmissionRequest(
            role: .simulations(chunk), name: plan.simulationJobName,
            script: path(plan.scripts.simulations ?? "scripts/simulations.sbatch", in: plan), attempt: attempt,
            array: chunk, throttle: throttle, workingDirectory: plan.studyDirectory)
    }

    private static func path(_ relative: String, in plan: Plan) -> String {
        relative.hasPrefix("/") ? relative : plan.studyDirectory + "/" + relative
    }
}
