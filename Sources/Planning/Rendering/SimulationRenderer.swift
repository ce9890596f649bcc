import PlanModel
import Sampling
import StudySpec

/// A simulation's command line rendered from the plan's templates and its row of the parameter table.
public struct RenderedSimulation: Sendable, Hashable {
    /// The simulation's id.
    public var id: Int
    /// The command line with every placeholder replaced by one quoted shell word (without the MPI launcher).
    public var command: String
    /// The directory it runs in, absolute, as one quoted shell word.
    public var workingDirectory: String
    /// The study's environment variables with their values rendered and quoted, in file order.
    public var environment: [RenderedVariable]

    /// Creates a rendered simulation.
    public init(id: Int, command: String, workingDirectory: String, environment: [RenderedVariable] = []) {
        self.id = id
        self.command = command
        self.workingDirectory = workingDirectory
        self.environment = environment
    }
}

/// Renders simulations from the study's templates: once for all of them, as the shell function the simulation
/// scripts run with a row of the values file, or for one simulation (``RenderedSimulation``).
public struct SimulationRenderer: Sendable {
    private let command: PlaceholderTemplate
    private let directory: PlaceholderTemplate
    private let environment: [(name: String, template: PlaceholderTemplate)]
    private let context: PlaceholderTemplate.Context
    private let studyDirectory: String

    /// Parses the templates against the parameters' names.
    init(templates: SimulationTemplates, parameters: [String], context: PlaceholderTemplate.Context) throws {
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
        for variable in templates.environment where !ScriptRenderer.isVariableName(variable.name) {
            throw PlanningError.unsafeDirective(option: "environment", value: variable.name)
        }
        self.context = context
        self.studyDirectory = context.studyDirectory
    }

    /// The renderer of `plan`'s templates.
    public init(plan: Plan) throws {
        guard let templates = plan.simulation.templates else {
            throw PlanningError.write(
                path: "plan.json", reason: "the plan does not record the simulation's templates (plan it again)")
        }
        try self.init(
            templates: templates, parameters: plan.parameters.map(\.name),
            context: PlaceholderTemplate.Context(
                studyDirectory: plan.studyDirectory, studyFileDirectory: plan.studyFileDirectory,
                studyName: plan.studyName, timeSteps: plan.simulation.timeSteps,
                tasks: plan.simulation.resources.tasks))
    }

    /// Simulation `job` rendered: what one line of a version 1 plan's command file held.
    public func rendered(_ job: SimulationJob) -> RenderedSimulation {
        let id = job.id
        let values = job.values
        let environment = environment.map { variable in
            RenderedVariable(
                name: variable.name,
                word: ShellWordPart.word(variable.template.literalParts(id: id, values: values, context: context))
            )
        }
        return RenderedSimulation(
            id: id,
            command: command.shellCommand(id: id, values: values, context: context),
            workingDirectory: ShellWordPart.word(
                absolute(directory.literalParts(id: id, values: values, context: context))),
            environment: environment
        )
    }

    /// The one shell line that runs any simulation, its values in the positional parameters (`"${1}"`…, in
    /// parameter order) and its id in `melissa_id`: the body of the scripts' `melissa_simulation` function.
    public func functionLine() throws -> String {
        let environment = environment.map { variable in
            RenderedVariable(
                name: variable.name, word: ShellWordPart.word(variable.template.literalFunctionParts(context: context)))
        }
        let parts = directory.literalFunctionParts(context: context)
        if case .literal? = parts.first {
            return try Self.line(
                environment: environment, workingDirectory: ShellWordPart.word(absolute(parts)),
                command: command.shellFunction(context: context))
        }
        // Led by a value: absolute or not is known only once the value is (as when each simulation was rendered).
        let prefix =
            "melissa_dir=\(ShellWordPart.word(parts)); case \"$melissa_dir\" in /*) ;; *) melissa_dir="
            + ShellQuote.word(studyDirectory + "/") + "\"$melissa_dir\" ;; esac; "
        return try prefix
            + Self.line(
                environment: environment, workingDirectory: "\"$melissa_dir\"",
                command: command.shellFunction(context: context))
    }

    /// One simulation's shell fragment: its environment, its working directory, then the MPI launcher
    /// (`"${melissa_launch[@]}"`, set by the script) and its command. Always a single line.
    public static func line(_ simulation: RenderedSimulation) throws -> String {
        try line(
            environment: simulation.environment, workingDirectory: simulation.workingDirectory,
            command: simulation.command)
    }

    static func line(environment: [RenderedVariable], workingDirectory: String, command: String) throws -> String {
        var line = ""
        if !environment.isEmpty {
            line += "export"
            for variable in environment {
                guard ScriptRenderer.isVariableName(variable.name) else {
                    throw PlanningError.unsafeDirective(option: "environment", value: variable.name)
                }
                line += " " + variable.name + "=" + variable.word
            }
            line += "; "
        }
        line += "mkdir -p -- \(workingDirectory) && cd -- \(workingDirectory) || exit 1; "
        line += "\"${melissa_launch[@]}\" " + command
        guard !line.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }) else { throw PlanningError.multilineCommand }
        return line
    }

    /// A row of the values file: the id, then each value as one quoted shell word (`$'…'` for control characters,
    /// so that a row is one line).
    public static func valuesRow(_ job: SimulationJob) -> String {
        var row = String(job.id)
        for value in job.values {
            row += " "
            row += ShellQuote.word(value.description)
        }
        return row
    }

    /// A working directory relative to the study directory made absolute.
    private func absolute(_ parts: [ShellWordPart]) -> [ShellWordPart] {
        if case .literal(let first)? = parts.first, first.hasPrefix("/") { return parts }
        return [.literal(studyDirectory + "/")] + parts
    }
}
