import Foundation
import Yams

extension StudyParser {
    // MARK: - study

    mutating func studyInfo(_ node: Node) -> StudyInfo? {
        guard let fields = fields(node, "study", allowed: ["name", "output", "seed", "templates", "description"])
        else { return nil }
        var name: String?
        if let value = fields["name"] {
            if let text = string(value, "study.name", what: "a study name") {
                let allowed = CharacterSet(
                    charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
                if text.unicodeScalars.allSatisfy(allowed.contains), text.first != "-", text.count <= 64 {
                    name = text
                } else {
                    report(
                        value, "study.name",
                        "`\(text)` is not a valid study name; expected up to 64 letters, digits, `-`, `_` or `.` "
                            + "(it prefixes every job name), not starting with `-`")
                }
            }
        } else {
            missing(fields, "name", "the study's name, e.g. `name: heat-pde`")
        }
        let output = fields["output"].flatMap { string($0, "study.output", what: "a directory path") }
        let seed = fields["seed"].flatMap { integer($0, "study.seed", minimum: 0, what: "a non-negative integer") }
        let templates = fields["templates"].flatMap { string($0, "study.templates", what: "a directory path") }
        if let templates, let node = fields["templates"] {
            var isDirectory: ObjCBool = false
            let url = resolve(templates)
            if !FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) || !isDirectory.boolValue {
                report(node, "study.templates", "`\(url.path)` is not a directory; expected a directory of templates")
            }
        }
        let description = fields["description"].flatMap {
            string($0, "study.description", what: "text", allowEmpty: true)
        }
        guard let name else { return nil }
        return StudyInfo(
            name: name, output: output, seed: UInt64(seed ?? 0), templates: templates, description: description)
    }

    func resolve(_ path: String) -> URL {
        LoadedStudy.resolve(path, relativeTo: directory)
    }

    // MARK: - parameters

    static let distributions = ["uniform", "log_uniform", "normal", "integer", "choice"]

    mutating func parameters(_ node: Node) -> [Parameter]? {
        guard case .mapping(let mapping) = node else {
            report(
                node, "parameters",
                "expected a mapping of parameter names to distributions, e.g. `T0: {uniform: [100, 500]}`, found \(Self.describe(node))"
            )
            return nil
        }
        guard fields(node, "parameters", allowed: nil) != nil else { return nil }
        if mapping.count == 0 {
            report(node, "parameters", "no parameters; expected at least one, e.g. `T0: {uniform: [100, 500]}`")
            return nil
        }
        var result: [Parameter] = []
        var failed = false
        var seen = Set<String>()
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key, !seen.contains(scalar.string) else { continue }
            seen.insert(scalar.string)
            let path = "parameters.\(scalar.string)"
            guard let name = identifier(key, path, what: "a parameter name") else {
                failed = true
                continue
            }
            if let builtIn = Placeholder.BuiltIn(rawValue: name) {
                report(key, path, "`\(builtIn.rawValue)` is a built-in placeholder; choose another parameter name")
                failed = true
                continue
            }
            if let distribution = distribution(value, path) {
                result.append(Parameter(name: name, distribution: distribution))
            } else {
                failed = true
            }
        }
        return failed ? nil : result
    }

    /// The names of a `parameters` mapping that are valid identifiers.
    /// The parameters' names in the file's order.
    static func declaredOrder(_ node: Node) -> [String] {
        guard case .mapping(let mapping) = node else { return [] }
        return mapping.compactMap { $0.key.scalar?.string }.filter(isIdentifier)
    }

    static func declaredNames(_ node: Node) -> Set<String> {
        guard case .mapping(let mapping) = node else { return [] }
        return Set(mapping.compactMap { $0.key.scalar?.string }.filter(isIdentifier))
    }

    mutating func distribution(_ node: Node, _ path: String) -> DistributionSpec? {
        let example = "e.g. `{uniform: [100, 500]}`"
        guard let fields = fields(node, path, allowed: Self.distributions) else { return nil }
        guard fields.keys.count == 1, let kind = fields.keys.first, let value = fields[kind] else {
            if fields.keys.count > 1 {
                report(
                    node, path,
                    "gives \(fields.keys.count) distributions; expected exactly one of \(Self.list(Self.distributions))"
                )
            } else if fields.keys.isEmpty, case .mapping(let mapping) = node, mapping.count == 0 {
                report(node, path, "no distribution; expected one of \(Self.list(Self.distributions)), \(example)")
            } else if fields.keys.count == 1 {
                report(node, path, "the distribution has no value; \(example)")
            }
            return nil
        }
        let subpath = fields.path(kind)
        switch kind {
        case "uniform", "log_uniform":
            guard let (lower, upper) = bounds(value, subpath, integers: false) else { return nil }
            if kind == "log_uniform", lower <= 0 {
                report(
                    value, subpath,
                    "the lower bound \(lower) is not positive; a log-uniform distribution needs 0 < lower < upper")
                return nil
            }
            return kind == "uniform" ? .uniform(lower: lower, upper: upper) : .logUniform(lower: lower, upper: upper)
        case "integer":
            guard let (lower, upper) = bounds(value, subpath, integers: true) else { return nil }
            return .integerUniform(lower: Int(lower), upper: Int(upper))
        case "normal":
            return normal(value, subpath)
        default:
            guard
                let values = list(
                    value, subpath, what: "values",
                    item: { parser, item, itemPath in parser.scalarValue(item, itemPath) })
            else { return nil }
            if values.isEmpty {
                report(value, subpath, "the list is empty; expected at least one value")
                return nil
            }
            if Set(values).count != values.count {
                report(value, subpath, "lists a value twice; expected distinct values")
                return nil
            }
            return .choice(values)
        }
    }

    private mutating func bounds(_ node: Node, _ path: String, integers: Bool) -> (Double, Double)? {
        let what = integers ? "two integers [lower, upper]" : "two numbers [lower, upper]"
        guard case .sequence(let sequence) = node, sequence.count == 2 else {
            report(node, path, "expected \(what), found \(Self.describe(node))")
            return nil
        }
        let items = Array(sequence)
        let values: [Double?] = items.enumerated().map { index, item in
            integers
                ? integer(item, "\(path)[\(index)]", what: "an integer").map(Double.init)
                : number(item, "\(path)[\(index)]")
        }
        guard let lower = values[0], let upper = values[1] else { return nil }
        guard lower < upper || (integers && lower == upper) else {
            report(
                node, path, "the lower bound \(Self.format(lower)) is not below the upper bound \(Self.format(upper))")
            return nil
        }
        return (lower, upper)
    }

    private mutating func normal(_ node: Node, _ path: String) -> DistributionSpec? {
        guard let fields = fields(node, path, allowed: ["mean", "std", "lower", "upper"]) else { return nil }
        var mean: Double?
        var std: Double?
        if let value = fields["mean"] {
            mean = number(value, fields.path("mean"))
        } else {
            missing(fields, "mean", "the mean, e.g. `{mean: 0, std: 1}`")
        }
        if let value = fields["std"] {
            std = number(value, fields.path("std"))
            if let given = std, given <= 0 {
                report(
                    value, fields.path("std"),
                    "\(Self.format(given)) is not positive; expected a standard deviation > 0")
                std = nil
            }
        } else {
            missing(fields, "std", "the standard deviation, e.g. `{mean: 0, std: 1}`")
        }
        let lower = fields["lower"].flatMap { number($0, fields.path("lower")) }
        let upper = fields["upper"].flatMap { number($0, fields.path("upper")) }
        if let lower, let upper, lower >= upper, let node = fields["upper"] {
            report(
                node, fields.path("upper"), "\(Self.format(upper)) is not above the lower bound \(Self.format(lower))")
            return nil
        }
        guard let mean, let std else { return nil }
        return .normal(mean: mean, std: std, lower: lower, upper: upper)
    }

    mutating func scalarValue(_ node: Node, _ path: String) -> ScalarValue? {
        guard let scalar = scalarNode(node, path, expected: "a number or a string") else { return nil }
        if scalar.style == .plain {
            if let value = Int.construct(from: scalar) { return .integer(value) }
            if let value = Double.construct(from: scalar), value.isFinite { return .real(value) }
        }
        return .text(scalar.string)
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
