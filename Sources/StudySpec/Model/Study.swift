/// A validated study: everything one study file says, with every default filled in.
///
/// A `Study` is plain data. It is produced by ``StudyLoader`` from a YAML file (or built in code)
/// and consumed by the planner; nothing in it touches a scheduler or the file system.
public struct Study: Sendable, Hashable, Codable {
    /// The `study` section: name, output directory, seed.
    public var info: StudyInfo
    /// The `parameters` section, in file order.
    public var parameters: [Parameter]
    /// The `sampler` section.
    public var sampler: SamplerSpec
    /// The `simulation` section.
    public var simulation: SimulationSpec
    /// The `buffer` section.
    public var buffer: BufferSpec
    /// The `training` section.
    public var training: TrainingSpec
    /// The `execution` section.
    public var execution: ExecutionSpec

    /// Creates a study; every section but the first four has a default.
    public init(
        info: StudyInfo,
        parameters: [Parameter],
        sampler: SamplerSpec,
        simulation: SimulationSpec,
        buffer: BufferSpec = BufferSpec(),
        training: TrainingSpec = TrainingSpec(),
        execution: ExecutionSpec = ExecutionSpec()
    ) {
        self.info = info
        self.parameters = parameters
        self.sampler = sampler
        self.simulation = simulation
        self.buffer = buffer
        self.training = training
        self.execution = execution
    }
}

/// The `study` section.
public struct StudyInfo: Sendable, Hashable, Codable {
    /// The study's name: letters, digits, `-`, `_` and `.`; prefixes every job name.
    public var name: String
    /// Where the study directory goes (plan, journal, logs, checkpoints); relative to the study file's directory
    /// unless absolute. Default: `runs/<name>`.
    public var output: String
    /// The seed of every random choice made for the study (sampling, validation set, buffers).
    public var seed: UInt64
    /// A directory of Mustache templates that replace the built-in ones (site headers, module loads).
    public var templates: String?
    /// Free text shown by `melissa validate`.
    public var description: String?

    /// Creates the section; `output` defaults to `runs/<name>`.
    public init(
        name: String, output: String? = nil, seed: UInt64 = 0, templates: String? = nil, description: String? = nil
    ) {
        self.name = name
        self.output = output ?? "runs/\(name)"
        self.seed = seed
        self.templates = templates
        self.description = description
    }
}
