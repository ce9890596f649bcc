/// The `execution` section: where and how many jobs run.
public struct ExecutionSpec: Sendable, Hashable, Codable {
    /// A batch system melissa can drive.
    public enum Scheduler: String, Sendable, Hashable, Codable, CaseIterable {
        /// Processes on this machine, MPI jobs through mpirun.
        case local
        /// Slurm: sbatch, sacct, scontrol, scancel.
        case slurm
    }

    /// How the simulations' data reach the trainer.
    public enum Mode: String, Sendable, Hashable, Codable, CaseIterable {
        /// Streamed to the training server, which trains while the ensemble runs.
        case online
        /// Written to `<study dir>/data` by the client library; `melissa train` trains on it afterwards.
        case offline
    }

    /// The scheduler. Default: local.
    public var scheduler: Scheduler
    /// Online (the default) or offline (docs/offline.md).
    public var mode: Mode
    /// The elastic window of simultaneous simulations. Default: min 1, max 4.
    public var concurrency: Concurrency
    /// What the training server asks of the scheduler (tasks come from `training.ranks`).
    public var server: Resources
    /// Slurm options; required when the scheduler is slurm.
    public var slurm: SlurmOptions?
    /// Options of the local scheduler.
    public var local: LocalOptions
    /// Long-lived worker jobs that run the simulations one after another; nil (the default): one scheduler job per
    /// simulation.
    public var workers: WorkersSpec?

    /// Creates the section.
    public init(
        scheduler: Scheduler = .local,
        concurrency: Concurrency = Concurrency(),
        server: Resources = Resources(),
        slurm: SlurmOptions? = nil,
        local: LocalOptions = LocalOptions(),
        mode: Mode = .online,
        workers: WorkersSpec? = nil
    ) {
        self.workers = workers
        self.mode = mode
        self.scheduler = scheduler
        self.concurrency = concurrency
        self.server = server
        self.slurm = slurm
        self.local = local
    }
}

/// How many simulations may run at once; the launcher moves between the bounds with the server's demand.
public struct Concurrency: Sendable, Hashable, Codable {
    /// Simulations kept in flight at least. Default: 1.
    public var min: Int
    /// Simulations in flight at most. Default: 4.
    public var max: Int

    /// Creates a window.
    public init(min: Int = 1, max: Int = 4) {
        self.min = min
        self.max = max
    }
}

/// Slurm options for every job of the study, and the server's own.
public struct SlurmOptions: Sendable, Hashable, Codable {
    /// How simulations are submitted.
    public enum Packing: String, Sendable, Hashable, Codable, CaseIterable {
        /// One job array, throttled with `%N` to the concurrency maximum.
        case array
        /// One job per simulation.
        case jobs
    }

    /// How the study's jobs are allocated.
    public enum Allocation: String, Sendable, Hashable, Codable, CaseIterable {
        /// One Slurm job for the server and one per simulation (or a job array): what `packing` says.
        case jobs
        /// One Slurm allocation for the whole study: `melissa plan` writes its batch script, in which `melissa launch`
        /// runs the server and every simulation as `srun` steps.
        case single
    }

    /// How a single allocation is cut (`allocation: single`).
    public enum AllocationLayout: String, Sendable, Hashable, Codable, CaseIterable {
        /// Plain when the server's Slurm options are the simulations' and neither asks for GPUs, heterogeneous
        /// otherwise.
        case auto
        /// A heterogeneous job: component 0 for the server (and the launcher), component 1 for the simulations.
        case heterogeneous
        /// One plain allocation that holds the server's tasks and the simulations'.
        case plain
    }

    /// How MPI programs start inside a job.
    public enum Launcher: String, Sendable, Hashable, Codable, CaseIterable {
        /// `srun`, Slurm's own launcher (add `--mpi=pmix` to `launcher_arguments` where the site needs it).
        case srun
        /// `mpirun` from the MPI library.
        case mpirun
    }

    /// Options for the simulations' jobs.
    public var job: SlurmJobOptions
    /// Options for the server's job; unset ones fall back to `job`'s.
    public var server: SlurmJobOptions
    /// Array or one job per simulation. Default: array.
    public var packing: Packing
    /// How MPI programs start. Default: srun.
    public var launcher: Launcher
    /// Extra arguments of the launcher, e.g. `[--mpi=pmix]`.
    public var launcherArguments: [String]
    /// Seconds before the walltime at which a job is warned (SIGUSR1 to the batch shell). Default: 120.
    public var signalSecondsBeforeWalltime: Int
    /// The cluster's `MaxArraySize`: a job array holds at most this many tasks, so a larger ensemble is submitted as
    /// several arrays of the same script. Default: 1001, Slurm's default.
    public var maxArraySize: Int
    /// One job per server and simulation, or one allocation for the whole study. Default: jobs.
    public var allocation: Allocation
    /// How a single allocation is cut. Default: auto.
    public var allocationLayout: AllocationLayout

    /// Creates the options.
    public init(
        job: SlurmJobOptions = SlurmJobOptions(),
        server: SlurmJobOptions = SlurmJobOptions(),
        packing: Packing = .array,
        launcher: Launcher = .srun,
        launcherArguments: [String] = [],
        signalSecondsBeforeWalltime: Int = 120,
        maxArraySize: Int = 1001,
        allocation: Allocation = .jobs,
        allocationLayout: AllocationLayout = .auto
    ) {
        self.allocation = allocation
        self.allocationLayout = allocationLayout
        self.job = job
        self.server = server
        self.packing = packing
        self.launcher = launcher
        self.launcherArguments = launcherArguments
        self.signalSecondsBeforeWalltime = signalSecondsBeforeWalltime
        self.maxArraySize = maxArraySize
    }
}

/// Slurm directives of one kind of job.
public struct SlurmJobOptions: Sendable, Hashable, Codable {
    /// `--partition`.
    public var partition: String?
    /// `--account`.
    public var account: String?
    /// `--qos`.
    public var qos: String?
    /// `--constraint`.
    public var constraint: String?
    /// `--reservation`.
    public var reservation: String?
    /// `--gres`, e.g. `gpu:1`.
    public var gres: String?
    /// Extra directives written as `#SBATCH <line>`, e.g. `--exclusive`.
    public var directives: [String]

    /// Creates the options.
    public init(
        partition: String? = nil,
        account: String? = nil,
        qos: String? = nil,
        constraint: String? = nil,
        reservation: String? = nil,
        gres: String? = nil,
        directives: [String] = []
    ) {
        self.partition = partition
        self.account = account
        self.qos = qos
        self.constraint = constraint
        self.reservation = reservation
        self.gres = gres
        self.directives = directives
    }

    /// These options with every unset one taken from `fallback`; directives are concatenated.
    public func filled(from fallback: SlurmJobOptions) -> SlurmJobOptions {
        SlurmJobOptions(
            partition: partition ?? fallback.partition,
            account: account ?? fallback.account,
            qos: qos ?? fallback.qos,
            constraint: constraint ?? fallback.constraint,
            reservation: reservation ?? fallback.reservation,
            gres: gres ?? fallback.gres,
            directives: fallback.directives + directives
        )
    }
}

/// Options of the local scheduler.
public struct LocalOptions: Sendable, Hashable, Codable {
    /// The mpirun executable. Default: `mpirun`.
    public var mpirun: String
    /// Extra arguments of mpirun, e.g. `[--oversubscribe]`.
    public var mpirunArguments: [String]

    /// Creates the options.
    public init(mpirun: String = "mpirun", mpirunArguments: [String] = []) {
        self.mpirun = mpirun
        self.mpirunArguments = mpirunArguments
    }
}
