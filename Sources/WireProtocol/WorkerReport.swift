/// The JSON object of a `worker_report` (docs/protocol.md, "The worker channel"): who the worker is, what it runs,
/// and the runs that ended since the launcher last acknowledged them.
///
/// A report is complete each time (never a difference from the previous one), so that a lost message, a repeated
/// one or a new launcher that never saw the earlier ones changes nothing.
public struct WorkerReport: Codable, Equatable, Sendable {
    /// What the worker does.
    public enum State: String, Codable, Sendable, CaseIterable {
        /// It runs nothing and claims the next simulation.
        case idle
        /// It runs ``WorkerReport/current``.
        case running
        /// It is about to exit (stopped by a signal, or too little of its walltime is left for another
        /// simulation); it claims nothing more.
        case leaving
    }

    /// One simulation run inside a worker: the launcher's run number, the simulation and its attempt.
    public struct Run: Codable, Equatable, Sendable {
        /// The run's number in this worker, as the launcher gave it (1, 2, …).
        public var run: Int
        /// The simulation.
        public var simulation: Int
        /// Its attempt.
        public var attempt: Int
        /// The process group (and session) it runs as, on ``WorkerReport/host``.
        public var group: Int?
        /// Seconds since it started.
        public var seconds: Double

        /// A run.
        public init(run: Int, simulation: Int, attempt: Int, group: Int? = nil, seconds: Double = 0) {
            self.run = run
            self.simulation = simulation
            self.attempt = attempt
            self.group = group
            self.seconds = seconds
        }
    }

    /// A run that ended, until the launcher acknowledges it.
    public struct EndedRun: Codable, Equatable, Sendable {
        /// The run's number in this worker.
        public var run: Int
        /// The simulation.
        public var simulation: Int
        /// Its attempt.
        public var attempt: Int
        /// Its exit status (0 when it was killed by a signal).
        public var exitCode: Int
        /// The signal that ended it, 0 if none.
        public var signal: Int
        /// The launcher had it cancelled.
        public var cancelled: Bool
        /// The worker killed it at the simulation's walltime.
        public var timedOut: Bool
        /// The worker stopped it because the worker itself was stopped (SIGTERM, or the warning before the worker
        /// job's walltime): not the simulation's fault.
        public var stopped: Bool
        /// Seconds it ran.
        public var seconds: Double
        /// Why it could not start, when it could not.
        public var error: String?

        enum CodingKeys: String, CodingKey {
            case run, simulation, attempt, signal, cancelled, stopped, seconds, error
            case exitCode = "exit_code"
            case timedOut = "timed_out"
        }

        /// An ended run.
        public init(
            run: Int, simulation: Int, attempt: Int, exitCode: Int = 0, signal: Int = 0, cancelled: Bool = false,
            timedOut: Bool = false, stopped: Bool = false, seconds: Double = 0, error: String? = nil
        ) {
            self.run = run
            self.simulation = simulation
            self.attempt = attempt
            self.exitCode = exitCode
            self.signal = signal
            self.cancelled = cancelled
            self.timedOut = timedOut
            self.stopped = stopped
            self.seconds = seconds
            self.error = error
        }
    }

    /// The worker's number (1, 2, …: the argument of its job).
    public var worker: Int
    /// Its process id.
    public var pid: Int
    /// The host it runs on.
    public var host: String
    /// Its scheduler job's id when the worker knows it (`SLURM_JOB_ID`).
    public var job: String?
    /// What it does.
    public var state: State
    /// Simulations it has started since it began.
    public var runs: Int
    /// What it runs (state `running`).
    public var current: Run?
    /// Runs that ended and that the launcher has not acknowledged yet, oldest first.
    public var ended: [EndedRun]

    /// A report.
    public init(
        worker: Int, pid: Int, host: String, job: String? = nil, state: State, runs: Int = 0, current: Run? = nil,
        ended: [EndedRun] = []
    ) {
        self.worker = worker
        self.pid = pid
        self.host = host
        self.job = job
        self.state = state
        self.runs = runs
        self.current = current
        self.ended = ended
    }
}
