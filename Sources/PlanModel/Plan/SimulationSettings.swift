import StudySpec

/// What every simulation of a plan shares, stored once rather than per simulation.
public struct SimulationSettings: Sendable, Hashable, Codable {
    /// What one simulation asks of the scheduler.
    public var resources: Resources
    /// Restarts of a failed simulation before it is given up.
    public var retries: Int
    /// Crashes after which a simulation's parameters are drawn anew.
    public var redrawAfter: Int
    /// Silence, in seconds, after which a running simulation counts as hung.
    public var timeoutSeconds: Int
    /// Time steps each simulation sends.
    public var timeSteps: Int
    /// The fields each time step carries.
    public var fields: [String]
    /// Shell lines run before each simulation, as the study file writes them.
    public var setup: [String]
    /// The MPI launcher and its arguments, as separate (unquoted) words, e.g. `["mpirun", "-np", "4"]`.
    public var launcher: [String]
    /// The study's templates of a simulation's command, working directory and environment, with their
    /// placeholders: what renders a simulation whose parameters were redrawn.
    public var templates: SimulationTemplates?
    /// How many simulations may be given up before the study fails; nil: ``GivenUpTolerance/standard``.
    public var givenUpTolerance: GivenUpTolerance?

    /// Creates the settings.
    public init(
        resources: Resources,
        retries: Int,
        redrawAfter: Int,
        timeoutSeconds: Int,
        timeSteps: Int,
        fields: [String],
        setup: [String],
        launcher: [String],
        templates: SimulationTemplates? = nil,
        givenUpTolerance: GivenUpTolerance? = nil
    ) {
        self.givenUpTolerance = givenUpTolerance
        self.resources = resources
        self.retries = retries
        self.redrawAfter = redrawAfter
        self.timeoutSeconds = timeoutSeconds
        self.timeSteps = timeSteps
        self.fields = fields
        self.setup = setup
        self.launcher = launcher
        self.templates = templates
    }
}
