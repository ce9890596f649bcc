import Foundation

/// The `simulation` section: how one simulation runs.
public struct SimulationSpec: Sendable, Hashable, Codable {
    /// The command line, a shell command with `{{name}}` placeholders for parameters and built-ins
    /// (see ``Placeholder``). Each placeholder becomes one quoted shell word.
    public var command: String
    /// The fields each time step sends.
    public var fields: [FieldSpec]
    /// Time steps each simulation sends.
    public var timeSteps: Int
    /// What one simulation asks of the scheduler.
    public var resources: Resources
    /// Silence, in seconds, after which a running simulation counts as hung. Default: 300.
    public var timeoutSeconds: Int
    /// Restarts of a failed simulation before it is given up. Default: 2.
    public var retries: Int
    /// Crashes after which a simulation's parameters are drawn anew. Default: 3.
    public var redrawAfter: Int
    /// Environment variables set for the simulation, in file order; values may hold placeholders.
    public var environment: [EnvironmentVariable]
    /// Shell lines run before the simulation (module loads, `source` of an environment).
    public var setup: [String]
    /// The directory the simulation runs in, relative to the study directory unless absolute; may hold
    /// placeholders. Default: `simulations/{{simulation_id}}`.
    public var workingDirectory: String
    /// The fractions of simulations that may be given up before the study counts as failed; nil: the defaults.
    public var givenUpTolerance: GivenUpTolerance?

    /// Creates the section.
    public init(
        command: String,
        fields: [FieldSpec],
        timeSteps: Int,
        resources: Resources = Resources(),
        timeoutSeconds: Int = 300,
        retries: Int = 2,
        redrawAfter: Int = 3,
        environment: [EnvironmentVariable] = [],
        setup: [String] = [],
        workingDirectory: String = "simulations/{{simulation_id}}"
    ) {
        self.command = command
        self.fields = fields
        self.timeSteps = timeSteps
        self.resources = resources
        self.timeoutSeconds = timeoutSeconds
        self.retries = retries
        self.redrawAfter = redrawAfter
        self.environment = environment
        self.setup = setup
        self.workingDirectory = workingDirectory
    }
}

/// `simulation.given_up_tolerance`: how many simulations may be given up (after their retries) before a study
/// counts as failed, as fractions of each role's count. A study over either exits 1 (docs/launching.md).
public struct GivenUpTolerance: Sendable, Hashable, Codable {
    /// Training simulations that may be given up. Default: 0.1.
    public var training: Double
    /// Validation simulations that may be given up. Default: 0 (every one is needed to measure the surrogate).
    public var validation: Double

    /// The defaults: 10 % of training simulations, no validation simulation.
    public static let standard = GivenUpTolerance()

    /// Creates the tolerance.
    public init(training: Double = 0.1, validation: Double = 0) {
        self.training = training
        self.validation = validation
    }
}

/// A field a simulation sends every time step.
public struct FieldSpec: Sendable, Hashable, Codable {
    /// The field's name, as the simulation passes it to `melissa_init`.
    public var name: String
    /// Values per time step over the whole domain, when known in advance (checked at registration).
    public var size: Int?
    /// The mesh the values lie on, row-major: `[n]` for a 1-D field, `[rows, columns]` for a 2-D one; the report
    /// draws a 2-D field as a heat map and a 1-D field as a line. Nil: drawn as a line over the values.
    public var shape: [Int]?
    /// The physical range of its values, `[lower, upper]`, when known: the trainer then scales the field from it
    /// (onto [−1, 1]) instead of from statistics of the first samples received.
    public var range: ClosedRange<Double>?

    /// Creates a field.
    public init(name: String, size: Int? = nil, shape: [Int]? = nil, range: ClosedRange<Double>? = nil) {
        self.name = name
        self.size = size
        self.shape = shape
        self.range = range
    }
}

/// An environment variable of a job.
public struct EnvironmentVariable: Sendable, Hashable, Codable {
    /// The variable's name.
    public var name: String
    /// Its value (placeholders allowed); written into scripts quoted, never evaluated by the shell.
    public var value: String

    /// Creates a variable.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// What a job asks of the scheduler.
public struct Resources: Sendable, Hashable, Codable {
    /// Nodes. Default: 1.
    public var nodes: Int
    /// MPI tasks (ranks) in all. Default: 1.
    public var tasks: Int
    /// CPUs per task. Default: 1.
    public var cpusPerTask: Int
    /// Memory per node in MiB, when set.
    public var memoryMiB: Int?
    /// GPUs per node. Default: 0.
    public var gpus: Int
    /// The wall-clock limit. Default: 1 hour.
    public var walltime: Walltime

    /// Creates a resource request.
    public init(
        nodes: Int = 1,
        tasks: Int = 1,
        cpusPerTask: Int = 1,
        memoryMiB: Int? = nil,
        gpus: Int = 0,
        walltime: Walltime = Walltime(seconds: 3600)
    ) {
        self.nodes = nodes
        self.tasks = tasks
        self.cpusPerTask = cpusPerTask
        self.memoryMiB = memoryMiB
        self.gpus = gpus
        self.walltime = walltime
    }

    private enum CodingKeys: String, CodingKey {
        // `memoryMib`, so that snake-case JSON reads `memory_mib` rather than `memory_mi_b`.
        case nodes, tasks, cpusPerTask
        case memoryMiB = "memoryMib"
        case gpus, walltime
    }

    /// Cores requested: tasks × CPUs per task.
    public var cores: Int { tasks * cpusPerTask }
}

/// A wall-clock limit, written `MM`, `MM:SS`, `HH:MM:SS`, `D-HH`, `D-HH:MM` or `D-HH:MM:SS` as Slurm reads it.
public struct Walltime: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The limit in seconds.
    public var seconds: Int

    /// Creates a limit of `seconds`.
    public init(seconds: Int) {
        self.seconds = seconds
    }

    /// Parses Slurm's time formats; nil when `text` is not one of them.
    public init?(parsing text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var days = 0
        var rest = Substring(trimmed)
        if let dash = rest.firstIndex(of: "-") {
            guard let value = Int(rest[..<dash]), value >= 0 else { return nil }
            days = value
            rest = rest[rest.index(after: dash)...]
        }
        let parts = rest.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
        guard !parts.isEmpty, parts.count <= 3, parts.allSatisfy({ ($0 ?? -1) >= 0 }) else { return nil }
        let values = parts.compactMap { $0 }
        // Every field after the first is bounded by its unit (minutes and seconds below 60, hours below 24 after days).
        for (index, value) in values.enumerated() where index > 0 && value >= 60 { return nil }
        if trimmed.contains("-"), values[0] >= 24 { return nil }
        var total: Int
        if trimmed.contains("-") {
            // D-HH, D-HH:MM, D-HH:MM:SS
            total = values[0] * 3600
            if values.count > 1 { total += values[1] * 60 }
            if values.count > 2 { total += values[2] }
        } else {
            // MM, MM:SS, HH:MM:SS
            switch values.count {
            case 1: total = values[0] * 60
            case 2: total = values[0] * 60 + values[1]
            default: total = values[0] * 3600 + values[1] * 60 + values[2]
            }
        }
        total += days * 86400
        guard total > 0 else { return nil }
        self.seconds = total
    }

    /// `D-HH:MM:SS` (days only when needed), the form written into sbatch files.
    public var description: String {
        let days = seconds / 86400
        let hours = (seconds % 86400) / 3600
        let minutes = (seconds % 3600) / 60
        let secs = seconds % 60
        let clock = [hours, minutes, secs].map { $0 < 10 ? "0\($0)" : "\($0)" }.joined(separator: ":")
        return days > 0 ? "\(days)-\(clock)" : clock
    }

    /// The limit in hours.
    public var hours: Double { Double(seconds) / 3600 }
}
