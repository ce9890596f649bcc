/// What can keep a study from being planned or its plan from being written.
public enum PlanningError: Error, Equatable, CustomStringConvertible {
    /// A `{{name}}` that is neither a parameter nor a built-in.
    case unknownPlaceholder(name: String, in: String)
    /// A value that cannot go into a script (a NUL character cannot be passed to a program).
    case unrepresentableValue(String, in: String)
    /// The command template spans several lines; each simulation's command must fit on one.
    case multilineCommand
    /// A Slurm directive value with whitespace, quotes or control characters.
    case unsafeDirective(option: String, value: String)
    /// A point file's rows do not fit the study.
    case pointFile(path: String, reason: String)
    /// A sampler could not be set up or drawn from.
    case sampler(String)
    /// A grid sampler without levels for a continuous parameter.
    case missingGridLevels(parameter: String)
    /// A template could not be read or parsed.
    case template(name: String, reason: String)
    /// A file of the plan could not be written.
    case write(path: String, reason: String)
    /// A simulation's parameters cannot be drawn anew.
    case cannotRedraw(simulation: Int, reason: String)
    /// The launcher's `redraws.json` could not be read or written.
    case redraws(path: String, reason: String)
    /// A `plan.json` of another schema version (one written by an older or newer melissa).
    case unsupportedPlanVersion(Int, expected: Int)

    /// A message that says what is wrong, where, and how to fix it.
    public var description: String {
        switch self {
        case .unknownPlaceholder(let name, let place):
            return "unknown placeholder {{\(name)}} in \(place): use a parameter's name or a built-in "
                + "(simulation_id, attempt, study_dir, study_file_dir, study_name, time_steps, tasks)"
        case .unrepresentableValue(let value, let place):
            return "\(place) holds a NUL character, which no program argument can carry: \(value.debugDescription)"
        case .multilineCommand:
            return "simulation.command spans several lines: join them with `;` or `&&`, or call a wrapper script"
        case .unsafeDirective(let option, let value):
            return "the Slurm option \(option) has an unusable value \(value.debugDescription): "
                + "sbatch directives cannot hold whitespace, quotes or control characters"
        case .pointFile(let path, let reason):
            return "cannot use the point file \(path): \(reason)"
        case .sampler(let reason):
            return "cannot draw the parameter sets: \(reason)"
        case .missingGridLevels(let parameter):
            return "the grid sampler needs levels for \(parameter): set sampler.levels, one count per parameter"
        case .template(let name, let reason):
            return "template \(name): \(reason)"
        case .write(let path, let reason):
            return "cannot write \(path): \(reason)"
        case .cannotRedraw(let simulation, let reason):
            return "cannot redraw the parameters of simulation \(simulation): \(reason)"
        case .redraws(let path, let reason):
            return "cannot use the redrawn parameters in \(path): \(reason)"
        case .unsupportedPlanVersion(let version, let expected):
            return version < expected
                ? "plan.json has schema version \(version), written by an older melissa; this one reads version "
                    + "\(expected) only: plan the study again (`melissa plan <study file>`; a study launched under the "
                    + "old plan: `melissa launch <study file> --fresh` moves its directory aside and starts afresh)"
                : "plan.json has schema version \(version), written by a newer melissa; this one reads version "
                    + "\(expected) only: use the melissa that planned it, or plan the study again"
        }
    }
}
