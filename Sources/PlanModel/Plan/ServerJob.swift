import StudySpec

/// The training server's job.
public struct ServerJob: Sendable, Hashable, Codable {
    /// The scheduler's job name, `<study>-server`.
    public var name: String
    /// Training ranks (MPI tasks of the server).
    public var ranks: Int
    /// What the server asks of the scheduler (`tasks` = ranks).
    public var resources: Resources
    /// Slurm options of the server (the server's own filled from the study-wide ones); nil for local.
    public var slurm: SlurmJobOptions?
    /// The MPI launcher and its arguments, as separate words.
    public var launcher: [String]
    /// The server's command, as separate words: `<melissa> server <study dir>`.
    public var command: [String]
    /// Its batch or run script, relative to the study directory.
    public var script: String
    /// The fields every simulation sends, with their sizes when the study gives them.
    public var fields: [FieldSpec]
    /// The training buffer.
    public var buffer: BufferSpec
    /// The network, optimiser, validation and checkpoint settings.
    public var training: TrainingSpec
    /// The study's seed (buffer and trainer random choices derive from it).
    public var seed: UInt64

    /// Creates the server job.
    public init(
        name: String,
        ranks: Int,
        resources: Resources,
        slurm: SlurmJobOptions?,
        launcher: [String],
        command: [String],
        script: String,
        fields: [FieldSpec] = [],
        buffer: BufferSpec = BufferSpec(),
        training: TrainingSpec = TrainingSpec(),
        seed: UInt64 = 0
    ) {
        self.name = name
        self.ranks = ranks
        self.resources = resources
        self.slurm = slurm
        self.launcher = launcher
        self.command = command
        self.script = script
        self.fields = fields
        self.buffer = buffer
        self.training = training
        self.seed = seed
    }
}
