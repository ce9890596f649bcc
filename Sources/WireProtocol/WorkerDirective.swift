/// The JSON object of a `worker_directive` (docs/protocol.md, "The worker channel"): what a worker does next.
public struct WorkerDirective: Codable, Equatable, Sendable {
    /// The directive's verb (key `do`).
    public enum Action: String, Codable, Sendable, CaseIterable {
        /// Start run ``WorkerDirective/run``: simulation ``WorkerDirective/simulation``, attempt
        /// ``WorkerDirective/attempt`` (sent to an idle worker, again until its report shows the run).
        case run
        /// Nothing to run now: report again after ``WorkerDirective/seconds``.
        case wait
        /// Go on with what it runs (the answer to a running worker's report).
        case proceed = "continue"
        /// Stop run ``WorkerDirective/run`` (SIGTERM to its process group, then SIGKILL) and report it cancelled.
        case cancel
        /// Stop, and exit once nothing runs.
        case exit
        /// The report was refused (a wrong token, a message this launcher cannot read): ``WorkerDirective/reason``.
        case refuse
    }

    /// What to do.
    public var action: Action
    /// The run's number in the worker (`run`, `cancel`).
    public var run: Int?
    /// The simulation to run (`run`).
    public var simulation: Int?
    /// Its attempt (`run`).
    public var attempt: Int?
    /// Variables added to the simulation's environment (`run`): `MELISSA_ATTEMPT` and what the launcher adds.
    public var environment: [String: String]?
    /// Seconds the simulation may run before the worker kills it (its walltime; `run`).
    public var timeLimit: Double?
    /// Seconds to wait before the next report (`wait`).
    public var seconds: Double?
    /// Seconds between two reports while a simulation runs (the launcher's heartbeat), when the launcher says.
    public var heartbeat: Double?
    /// The ended runs the launcher recorded: the worker stops reporting them.
    public var acknowledged: [Int]
    /// Why (`exit`, `refuse`).
    public var reason: String?

    enum CodingKeys: String, CodingKey {
        case action = "do"
        case timeLimit = "time_limit"
        case run, simulation, attempt, environment, seconds, heartbeat, acknowledged, reason
    }

    /// A directive.
    public init(
        _ action: Action, run: Int? = nil, simulation: Int? = nil, attempt: Int? = nil,
        environment: [String: String]? = nil, timeLimit: Double? = nil, seconds: Double? = nil,
        heartbeat: Double? = nil, acknowledged: [Int] = [], reason: String? = nil
    ) {
        self.action = action
        self.run = run
        self.simulation = simulation
        self.attempt = attempt
        self.environment = environment
        self.timeLimit = timeLimit
        self.seconds = seconds
        self.heartbeat = heartbeat
        self.acknowledged = acknowledged
        self.reason = reason
    }

    /// Decodes a directive; `acknowledged` may be missing (none).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        action = try container.decode(Action.self, forKey: .action)
        run = try container.decodeIfPresent(Int.self, forKey: .run)
        simulation = try container.decodeIfPresent(Int.self, forKey: .simulation)
        attempt = try container.decodeIfPresent(Int.self, forKey: .attempt)
        environment = try container.decodeIfPresent([String: String].self, forKey: .environment)
        timeLimit = try container.decodeIfPresent(Double.self, forKey: .timeLimit)
        seconds = try container.decodeIfPresent(Double.self, forKey: .seconds)
        heartbeat = try container.decodeIfPresent(Double.self, forKey: .heartbeat)
        acknowledged = try container.decodeIfPresent([Int].self, forKey: .acknowledged) ?? []
        reason = try container.decodeIfPresent(String.self, forKey: .reason)
    }
}
