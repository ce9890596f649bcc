import PlanModel
import Sampling
import StudySpec

/// Renders simulations from the study's templates: what the planner does for every simulation, and what the launcher
/// does again for one whose parameters it redrew.
struct SimulationRenderer: Sendable {
    private let command: PlaceholderTemplate
    private let directory: PlaceholderTemplate
    private let environment: [(name: String, template: PlaceholderTemplate)]
    private let context: PlaceholderTemplate.Context
    private let studyDirectory: String
    private let ownScripts: Bool

    /// Parses the templates against the parameters' names; `ownScripts` gives each simulation its own batch file
    /// (`packing: jobs`).
    init(
        templates: SimulationTemplates, parameters: [String], context: PlaceholderTemplate.Context, ownScripts: Bool
    ) throws {
        command = try PlaceholderTemplate(templates.command, parameters: parameters, place: "simulation.command")
        directory = try PlaceholderTemplate(
            templates.workingDirectory, parameters: parameters, place: "simulation.working_directory")
        environment = try templates.environment.map { variable in
            (
                name: variable.name,
                template: try PlaceholderTemplate(
                    variable.value, parameters: parameters, place: "simulation.environment.\(variable.name)")
            )
        }
        self.context = context
        self.studyDirectory = context.studyDirectory
        self.ownScripts = ownScripts
    }

    /// Simulation `id` with `values`.
    func job(id: Int, role: SimulationRole, values: [ParameterValue]) -> SimulationJob {
        var directory = directory.literalParts(id: id, values: values, context: context)
        if case .literal(let first)? = directory.first, first.hasPrefix("/") {
        } else {
            directory.insert(.literal(studyDirectory + "/"), at: 0)
        }
        let environment = environment.map { variable in
            RenderedVariable(
                name: variable.name,
                word: ShellWordPart.word(variable.template.literalParts(id: id, values: values, context: context))
            )
        }
        return SimulationJob(
            id: id,
            role: role,
            values: values,
            command: command.shellCommand(id: id, values: values, context: context),
            workingDirectory: ShellWordPart.word(directory),
            environment: environment,
            script: ownScripts ? "scripts/simulation-\(id).sbatch" : nil
        )
    }
}
