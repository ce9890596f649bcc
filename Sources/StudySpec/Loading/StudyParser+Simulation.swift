import Foundation
import Yams

extension StudyParser {
    // MARK: - sampler

    mutating func sampler(_ node: Node, parameters: [Parameter]) -> SamplerSpec? {
        let allowed = ["kind", "count", "scramble", "optimization", "levels", "file", "seed"]
        guard let fields = fields(node, "sampler", allowed: allowed) else { return nil }
        guard let kindNode = fields["kind"] else {
            missing(fields, "kind", "one of \(Self.list(SamplerSpec.Kind.allCases.map(\.rawValue)))")
            return nil
        }
        guard let kind = choice(kindNode, "sampler.kind", SamplerSpec.Kind.self) else {
            _ = fields["count"].flatMap {
                integer($0, "sampler.count", minimum: 1, what: "a positive number of simulations")
            }
            return nil
        }
        var spec = SamplerSpec(kind: kind, count: 0)
        var ok = true
        func notFor(_ key: String, _ reason: String, _ parser: inout StudyParser) {
            if let value = fields[key] {
                parser.report(value, fields.path(key), "is not used by the `\(kind.rawValue)` sampler; \(reason)")
                ok = false
            }
        }
        switch kind {
        case .grid:
            notFor("count", "a grid has as many points as the product of its levels", &self)
        case .file:
            notFor("count", "every row of the file is one simulation", &self)
        default:
            if let value = fields["count"] {
                if let count = integer(value, "sampler.count", minimum: 1, what: "a positive number of simulations") {
                    spec.count = count
                } else {
                    ok = false
                }
            } else {
                missing(fields, "count", "the number of simulations, e.g. `count: 250`")
                ok = false
            }
        }
        if let value = fields["scramble"] {
            if kind == .sobol || kind == .halton {
                if let scramble = self.scramble(value, kind: kind) { spec.scramble = scramble } else { ok = false }
            } else {
                notFor("scramble", "only `sobol` and `halton` are scrambled", &self)
            }
        }
        if let value = fields["optimization"] {
            if kind == .latinHypercube {
                if let optimization = choice(value, "sampler.optimization", SamplerSpec.Optimization.self) {
                    spec.optimization = optimization
                } else {
                    ok = false
                }
            } else {
                notFor("optimization", "only `latin-hypercube` is optimised", &self)
            }
        }
        if kind == .grid {
            if let levels = gridLevels(fields["levels"], parameters: parameters, fields: fields) {
                spec.levels = levels
                spec.count = levels.reduce(1) { $0.multipliedReportingOverflow(by: $1).partialValue }
            } else {
                ok = false
            }
        } else {
            notFor("levels", "levels belong to `grid`", &self)
        }
        if kind == .file {
            if let value = fields["file"] {
                if let path = string(value, "sampler.file", what: "a CSV file path") {
                    let url = resolve(path)
                    if FileManager.default.isReadableFile(atPath: url.path) {
                        spec.file = path
                    } else {
                        report(
                            value, "sampler.file",
                            "`\(url.path)` is not a readable file; expected a CSV file of parameter values")
                        ok = false
                    }
                } else {
                    ok = false
                }
            } else {
                missing(fields, "file", "a CSV file with one column per parameter, e.g. `file: points.csv`")
                ok = false
            }
        } else {
            notFor("file", "only the `file` sampler reads a file", &self)
        }
        if let value = fields["seed"] {
            if let seed = integer(value, "sampler.seed", minimum: 0, what: "a non-negative integer") {
                spec.seed = UInt64(seed)
            } else {
                ok = false
            }
        }
        return ok ? spec : nil
    }

    private mutating func scramble(_ node: Node, kind: SamplerSpec.Kind) -> SamplerSpec.Scramble? {
        if case .scalar(let scalar) = node, scalar.style == .plain, let flag = Bool.construct(from: scalar) {
            return flag ? .linearMatrix : SamplerSpec.Scramble.none
        }
        guard let value = choice(node, "sampler.scramble", SamplerSpec.Scramble.self) else { return nil }
        if value == .owen, kind == .halton {
            report(
                node, "sampler.scramble",
                "Owen scrambling is for `sobol`; expected `true`, `false` or `linear-matrix` for `halton`")
            return nil
        }
        return value
    }

    private mutating func gridLevels(_ node: Node?, parameters: [Parameter], fields: Fields) -> [Int]? {
        func natural(_ parameter: Parameter) -> Int? {
            switch parameter.distribution {
            case .choice(let values): return values.count
            case .integerUniform(let lower, let upper) where upper - lower < 1000: return upper - lower + 1
            default: return nil
            }
        }
        var levels: [Int?] = parameters.map(natural)
        switch node {
        case nil:
            break
        case .some(let node) where node.isScalar:
            guard let all = integer(node, "sampler.levels", minimum: 1, what: "a positive number of levels") else {
                return nil
            }
            levels = parameters.map { natural($0) ?? all }
        case .some(let node):
            guard let given = self.fields(node, "sampler.levels", allowed: parameters.map(\.name)) else { return nil }
            for (index, parameter) in parameters.enumerated() {
                if let value = given[parameter.name] {
                    levels[index] = integer(
                        value, given.path(parameter.name), minimum: 1, what: "a positive number of levels")
                    if levels[index] == nil { return nil }
                }
            }
        }
        let unset = zip(parameters, levels).filter { $0.1 == nil }.map(\.0.name)
        guard unset.isEmpty else {
            let mark = node?.position ?? fields.mark
            report(
                at: mark, "sampler.levels",
                "no number of levels for \(Self.list(unset)); expected `levels: N` or a mapping such as `levels: {\(unset[0]): 5}`"
            )
            return nil
        }
        let values = levels.compactMap { $0 }
        for (parameter, count) in zip(parameters, values) {
            if let most = natural(parameter), count > most {
                report(
                    at: node?.position ?? fields.mark, "sampler.levels",
                    "\(count) levels for `\(parameter.name)`, which has only \(most) distinct values; expected at most \(most)"
                )
                return nil
            }
        }
        let total = values.reduce(1.0) { $0 * Double($1) }
        if total > 10_000_000 {
            report(
                at: node?.position ?? fields.mark, "sampler.levels",
                "the grid has \(Self.format(total)) points; expected at most 10,000,000")
            return nil
        }
        return values
    }

    // MARK: - simulation

    mutating func simulation(_ node: Node, parameters names: Set<String>) -> SimulationSpec? {
        let allowed = [
            "command", "fields", "time_steps", "resources", "timeout", "retries", "redraw_after", "environment",
            "setup",
            "working_directory",
        ]
        guard let fields = fields(node, "simulation", allowed: allowed) else { return nil }
        var ok = true
        var command: String?
        if let value = fields["command"] {
            command = string(value, "simulation.command", what: "a command line")
            if let command {
                ok = checkTemplate(command, node: value, path: "simulation.command", names: names, shell: true) && ok
            }
        } else {
            missing(fields, "command", "the command line of one simulation, e.g. `command: ./solver {{T0}}`")
        }
        var fieldSpecs: [FieldSpec]?
        if let value = fields["fields"] {
            fieldSpecs = list(value, "simulation.fields", what: "field names", singleAllowed: true) {
                parser, item, path in
                parser.field(item, path)
            }
            if let specs = fieldSpecs {
                if specs.isEmpty {
                    report(value, "simulation.fields", "the list is empty; expected at least one field name")
                    fieldSpecs = nil
                } else if Set(specs.map(\.name)).count != specs.count {
                    report(value, "simulation.fields", "names a field twice; expected distinct field names")
                    fieldSpecs = nil
                }
            }
        } else {
            missing(fields, "fields", "the names of the fields each time step sends, e.g. `fields: [temperature]`")
        }
        var timeSteps: Int?
        if let value = fields["time_steps"] {
            timeSteps = integer(value, "simulation.time_steps", minimum: 1, what: "a positive number of time steps")
        } else {
            missing(fields, "time_steps", "the number of time steps each simulation sends, e.g. `time_steps: 100`")
        }
        let resources = fields["resources"].map { self.resources($0, "simulation.resources", tasks: true) }
        var spec = SimulationSpec(command: command ?? "", fields: fieldSpecs ?? [], timeSteps: timeSteps ?? 1)
        if let resources { if let value = resources { spec.resources = value } else { ok = false } }
        if let value = fields["timeout"] {
            if let seconds = duration(value, "simulation.timeout") { spec.timeoutSeconds = seconds } else { ok = false }
        }
        if let value = fields["retries"] {
            if let retries = integer(value, "simulation.retries", minimum: 0, what: "a non-negative number of restarts")
            {
                spec.retries = retries
            } else {
                ok = false
            }
        }
        if let value = fields["redraw_after"] {
            if let count = integer(value, "simulation.redraw_after", minimum: 1, what: "a positive number of crashes") {
                spec.redrawAfter = count
            } else {
                ok = false
            }
        }
        if let value = fields["environment"] {
            if let variables = environment(value, "simulation.environment", names: names) {
                spec.environment = variables
            } else {
                ok = false
            }
        }
        if let value = fields["setup"] {
            if let lines = list(
                value, "simulation.setup", what: "shell lines", singleAllowed: true,
                item: { parser, item, path in parser.string(item, path, what: "a shell line") })
            {
                spec.setup = lines
            } else {
                ok = false
            }
        }
        if let value = fields["working_directory"] {
            if let path = string(value, "simulation.working_directory", what: "a directory path"),
                checkTemplate(path, node: value, path: "simulation.working_directory", names: names, shell: false)
            {
                spec.workingDirectory = path
            } else {
                ok = false
            }
        }
        guard ok, command != nil, fieldSpecs != nil, timeSteps != nil else { return nil }
        return spec
    }

    private mutating func field(_ node: Node, _ path: String) -> FieldSpec? {
        if node.isScalar {
            return identifier(node, path, what: "a field name").map { FieldSpec(name: $0) }
        }
        guard let fields = fields(node, path, allowed: ["name", "size"]) else { return nil }
        guard let nameNode = fields["name"] else {
            missing(fields, "name", "the field's name")
            return nil
        }
        guard let name = identifier(nameNode, fields.path("name"), what: "a field name") else { return nil }
        var size: Int?
        if let value = fields["size"] {
            size = integer(value, fields.path("size"), minimum: 1, what: "a positive number of values")
            if size == nil { return nil }
        }
        return FieldSpec(name: name, size: size)
    }

    private mutating func environment(_ node: Node, _ path: String, names: Set<String>) -> [EnvironmentVariable]? {
        guard case .mapping(let mapping) = node, fields(node, path, allowed: nil) != nil else {
            if !node.isMapping {
                report(node, path, "expected a mapping of variable names to values, found \(Self.describe(node))")
            }
            return nil
        }
        var result: [EnvironmentVariable] = []
        var ok = true
        for (key, value) in mapping {
            guard let name = key.scalar?.string else { continue }
            let itemPath = "\(path).\(name)"
            guard Self.isIdentifier(name) else {
                report(
                    key, itemPath,
                    "`\(name)` is not a valid environment variable name; expected letters, digits and `_`")
                ok = false
                continue
            }
            if name.hasPrefix("MELISSA_") || name.hasPrefix("SLURM_") {
                report(
                    key, itemPath,
                    "`\(name)` is set by melissa or Slurm; choose a name without the `MELISSA_` or `SLURM_` prefix")
                ok = false
                continue
            }
            if value.isEmptyValue, !value.isMapping, value.scalar?.string != "" {
                report(value, itemPath, "has no value; write `\"\"` for an empty one")
                ok = false
                continue
            }
            guard let text = string(value, itemPath, what: "a value", allowEmpty: true) else {
                ok = false
                continue
            }
            if checkTemplate(text, node: value, path: itemPath, names: names, shell: false) {
                result.append(EnvironmentVariable(name: name, value: text))
            } else {
                ok = false
            }
        }
        return ok ? result : nil
    }

    /// Resources of a job; `tasks` false for the server, whose tasks are `training.ranks`.
    mutating func resources(_ node: Node, _ path: String, tasks: Bool) -> Resources? {
        var allowed = ["nodes", "cpus_per_task", "memory", "gpus", "walltime"]
        if tasks { allowed.insert("tasks", at: 1) }
        guard let fields = fields(node, path, allowed: allowed) else { return nil }
        var resources = Resources()
        var ok = true
        func count(_ key: String, _ minimum: Int, _ what: String, _ parser: inout StudyParser) -> Int? {
            guard let value = fields[key] else { return nil }
            let result = parser.integer(value, fields.path(key), minimum: minimum, what: what)
            if result == nil { ok = false }
            return result
        }
        if let value = count("nodes", 1, "a positive number of nodes", &self) { resources.nodes = value }
        if let value = count("tasks", 1, "a positive number of MPI tasks", &self) { resources.tasks = value }
        if let value = count("cpus_per_task", 1, "a positive number of CPUs", &self) { resources.cpusPerTask = value }
        if let value = count("gpus", 0, "a non-negative number of GPUs per node", &self) { resources.gpus = value }
        if let value = fields["memory"] {
            if let memory = memory(value, fields.path("memory")) { resources.memoryMiB = memory } else { ok = false }
        }
        if let value = fields["walltime"] {
            if let walltime = walltime(value, fields.path("walltime")) {
                resources.walltime = walltime
            } else {
                ok = false
            }
        }
        if ok, tasks, resources.tasks < resources.nodes, let node = fields["tasks"] ?? fields["nodes"] {
            let key = fields["tasks"] == nil ? "nodes" : "tasks"
            report(
                node, fields.path(key),
                "\(resources.tasks) task\(resources.tasks == 1 ? "" : "s") cannot fill \(resources.nodes) nodes; "
                    + "expected at least one task per node")
            ok = false
        }
        return ok ? resources : nil
    }

    // MARK: - placeholders

    /// Checks the `{{name}}` placeholders of `template`; in a shell command they must stand outside quotes,
    /// since melissa quotes each value itself.
    mutating func checkTemplate(_ template: String, node: Node, path: String, names: Set<String>, shell: Bool) -> Bool {
        var ok = true
        let builtIns = Placeholder.BuiltIn.allCases.map(\.rawValue)
        let quoted = shell ? Self.quotedRanges(template) : []
        let occurrences = Placeholder.occurrences(in: template)
        let closedUpTo = occurrences.last.map { $0.offset + $0.length } ?? 0
        let rest = String(String.UnicodeScalarView(template.unicodeScalars.dropFirst(closedUpTo)))
        if let open = rest.range(of: "{{") {
            let offset = closedUpTo + rest.unicodeScalars[rest.unicodeScalars.startIndex..<open.lowerBound].count
            report(
                at: Self.mark(of: offset, in: template, node: node), path, "unclosed placeholder; expected `{{name}}`")
            ok = false
        }
        for occurrence in occurrences {
            let mark = Self.mark(of: occurrence.offset, in: template, node: node)
            if occurrence.name.isEmpty {
                report(at: mark, path, "empty placeholder `{{}}`; expected a parameter name or a built-in")
                ok = false
            } else if !names.contains(occurrence.name), !builtIns.contains(occurrence.name) {
                let candidates = names.sorted() + builtIns
                let hint =
                    Spelling.suggestion(for: occurrence.name, among: candidates).map { "did you mean `{{\($0)}}`? " }
                    ?? ""
                report(
                    at: mark, path,
                    "unknown placeholder `{{\(occurrence.name)}}`; \(hint)expected a parameter (\(Self.list(names.sorted()))) "
                        + "or a built-in (\(Self.list(builtIns)))")
                ok = false
            } else if quoted.contains(where: { $0.contains(occurrence.offset) }) {
                report(
                    at: mark, path,
                    "placeholder `{{\(occurrence.name)}}` inside quotes; melissa quotes each value itself, so write it unquoted"
                )
                ok = false
            }
        }
        return ok
    }

    /// Unicode-scalar offsets inside single or double quotes in a shell command.
    static func quotedRanges(_ command: String) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var open: (quote: Unicode.Scalar, start: Int)?
        var escaped = false
        for (offset, scalar) in command.unicodeScalars.enumerated() {
            if let current = open {
                if current.quote == "\"", scalar == "\\", !escaped {
                    escaped = true
                    continue
                }
                if scalar == current.quote, !escaped {
                    ranges.append(current.start..<offset)
                    open = nil
                }
                escaped = false
            } else if escaped {
                escaped = false
            } else if scalar == "\\" {
                escaped = true
            } else if scalar == "'" || scalar == "\"" {
                open = (scalar, offset)
            }
        }
        if let open { ranges.append(open.start..<command.unicodeScalars.count) }
        return ranges
    }

    /// The position of a scalar's character: exact for one-line plain and quoted scalars, else the scalar's start.
    static func mark(of offset: Int, in text: String, node: Node) -> Position? {
        guard let mark = node.position, case .scalar(let scalar) = node, !text.contains("\n") else {
            return node.position
        }
        switch scalar.style {
        case .plain: return Position(line: mark.line, column: mark.column + offset)
        case .singleQuoted where !text.contains("'"), .doubleQuoted where !text.contains("\\") && !text.contains("\""):
            return Position(line: mark.line, column: mark.column + 1 + offset)
        default: return mark
        }
    }
}

extension Node {
    /// `{}`, `key:` with nothing, or `null`.
    var isEmptyValue: Bool {
        switch self {
        case .mapping(let mapping): return mapping.count == 0
        case .scalar(let scalar):
            return scalar.style == .plain && (scalar.string.isEmpty || scalar.string == "~" || scalar.string == "null")
        default: return false
        }
    }

    var isScalar: Bool {
        if case .scalar = self { return true }
        return false
    }

    var isMapping: Bool {
        if case .mapping = self { return true }
        return false
    }
}
