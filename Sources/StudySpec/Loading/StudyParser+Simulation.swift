import Foundation
import Yams

extension StudyParser {
    // MARK: - simulation

    mutating func simulation(_ node: Node, parameters names: Set<String>) -> SimulationSpec? {
        let allowed = [
            "command", "fields", "time_steps", "resources", "timeout", "retries", "redraw_after", "given_up_tolerance",
            "environment",
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
        let fieldSpecs = simulationFields(fields)
        var timeSteps: Int?
        if let value = fields["time_steps"] {
            timeSteps = integer(value, "simulation.time_steps", minimum: 1, what: "a positive number of time steps")
        } else {
            missing(fields, "time_steps", "the number of time steps each simulation sends, e.g. `time_steps: 100`")
        }
        var spec = SimulationSpec(command: command ?? "", fields: fieldSpecs ?? [], timeSteps: timeSteps ?? 1)
        ok = simulationRun(fields, into: &spec) && ok
        ok = simulationPlace(fields, names: names, into: &spec) && ok
        guard ok, command != nil, fieldSpecs != nil, timeSteps != nil else { return nil }
        return spec
    }

    /// `fields`: required, distinct field names.
    private mutating func simulationFields(_ fields: Fields) -> [FieldSpec]? {
        guard let value = fields["fields"] else {
            missing(fields, "fields", "the names of the fields each time step sends, e.g. `fields: [temperature]`")
            return nil
        }
        guard
            let specs = list(
                value, "simulation.fields", what: "field names", singleAllowed: true,
                item: { parser, item, path in parser.field(item, path) })
        else { return nil }
        if specs.isEmpty {
            report(value, "simulation.fields", "the list is empty; expected at least one field name")
            return nil
        }
        if Set(specs.map(\.name)).count != specs.count {
            report(value, "simulation.fields", "names a field twice; expected distinct field names")
            return nil
        }
        return specs
    }

    /// How a simulation runs and is restarted: `resources`, `timeout`, `retries` and `redraw_after`.
    private mutating func simulationRun(_ fields: Fields, into spec: inout SimulationSpec) -> Bool {
        var ok = true
        if let value = fields["resources"] {
            if let resources = resources(value, "simulation.resources", tasks: true) {
                spec.resources = resources
            } else {
                ok = false
            }
        }
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
        if let value = fields["given_up_tolerance"] {
            if let tolerance = givenUpTolerance(value) { spec.givenUpTolerance = tolerance } else { ok = false }
        }
        return ok
    }

    /// `given_up_tolerance: 0.1` (training simulations) or `{training: 0.1, validation: 0}`.
    private mutating func givenUpTolerance(_ node: Node) -> GivenUpTolerance? {
        let what = "a fraction in [0, 1]"
        func fraction(_ node: Node, _ path: String) -> Double? {
            guard let value = number(node, path, what: what) else { return nil }
            guard (0...1).contains(value) else {
                report(node, path, "expected \(what), found \(value)")
                return nil
            }
            return value
        }
        var tolerance = GivenUpTolerance()
        if case .mapping = node {
            guard let fields = fields(node, "simulation.given_up_tolerance", allowed: ["training", "validation"])
            else { return nil }
            if let value = fields["training"] {
                guard let fraction = fraction(value, fields.path("training")) else { return nil }
                tolerance.training = fraction
            }
            if let value = fields["validation"] {
                guard let fraction = fraction(value, fields.path("validation")) else { return nil }
                tolerance.validation = fraction
            }
            return tolerance
        }
        guard let value = fraction(node, "simulation.given_up_tolerance") else { return nil }
        tolerance.training = value
        return tolerance
    }

    /// What a simulation runs in: `environment`, `setup` and `working_directory`.
    private mutating func simulationPlace(_ fields: Fields, names: Set<String>, into spec: inout SimulationSpec)
        -> Bool
    {
        var ok = true
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
        return ok
    }

    private mutating func field(_ node: Node, _ path: String) -> FieldSpec? {
        if node.isScalar {
            return identifier(node, path, what: "a field name").map { FieldSpec(name: $0) }
        }
        guard let fields = fields(node, path, allowed: ["name", "size", "shape", "range"]) else { return nil }
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
        var shape: [Int]?
        if let value = fields["shape"] {
            shape = fieldShape(value, fields.path("shape"), size: size)
            if shape == nil { return nil }
        }
        var range: ClosedRange<Double>?
        if let value = fields["range"] {
            range = fieldRange(value, fields.path("range"))
            if range == nil { return nil }
        }
        return FieldSpec(name: name, size: size ?? shape.map { $0.reduce(1, *) }, shape: shape, range: range)
    }

    /// A field's physical range: two finite numbers `[lower, upper]` with lower < upper.
    private mutating func fieldRange(_ node: Node, _ path: String) -> ClosedRange<Double>? {
        guard
            let bounds = list(
                node, path, what: "bounds", item: { parser, item, itemPath in parser.number(item, itemPath) })
        else { return nil }
        guard bounds.count == 2, bounds.allSatisfy(\.isFinite), bounds[0] < bounds[1] else {
            report(node, path, "expected `[lower, upper]`: two finite numbers with lower < upper")
            return nil
        }
        return bounds[0]...bounds[1]
    }

    /// A field's mesh shape: one or two positive extents (`[n]` or `[rows, columns]`), whose product is the field's
    /// size when the size is given too.
    private mutating func fieldShape(_ node: Node, _ path: String, size: Int?) -> [Int]? {
        guard
            let shape = list(
                node, path, what: "extents",
                item: { parser, item, itemPath in
                    parser.integer(item, itemPath, minimum: 1, what: "a positive extent")
                })
        else { return nil }
        guard (1...2).contains(shape.count) else {
            report(node, path, "expected 1 or 2 extents (`[n]` or `[rows, columns]`), found \(shape.count)")
            return nil
        }
        let values = shape.reduce(1, *)
        if let size, size != values {
            report(
                node, path,
                "\(shape.map(String.init).joined(separator: " × ")) is \(values) values, but `size` is \(size); "
                    + "expected extents whose product is the size")
            return nil
        }
        return shape
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
}
