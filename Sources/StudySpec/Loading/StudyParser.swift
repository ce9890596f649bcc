import Foundation
import Yams

/// Walks a composed YAML document, building a ``Study`` and collecting every problem on the way.
///
/// Each section reader returns its value, or nil when it could not make one; problems are appended to
/// `diagnostics`, so one pass reports all of them. Cross-field checks run once the sections are read.
struct StudyParser {
    /// The file name used in diagnostics.
    let file: String
    /// The directory relative paths are resolved against.
    let directory: URL
    /// Problems found so far.
    private(set) var diagnostics: [StudyDiagnostic] = []
    /// The parameters' names in the order the study declares them (for messages that list them).
    var parameterOrder: [String] = []

    init(file: String, directory: URL) {
        self.file = file
        self.directory = directory
    }

    static let sections = ["study", "parameters", "sampler", "simulation", "buffer", "training", "execution"]

    mutating func parseDocument(_ yaml: String) -> Study? {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            report(yamlError: error, text: yaml)
            return nil
        } catch {
            report(at: nil, "", "cannot be read as YAML: \(error)")
            return nil
        }
        guard let root else {
            report(at: nil, "", "the study file is empty; expected the sections \(Self.list(Self.sections))")
            return nil
        }
        guard let top = fields(root, "", allowed: Self.sections) else { return nil }
        for section in ["study", "parameters", "sampler", "simulation"] where top[section] == nil {
            report(
                at: top.mark, section,
                "missing section; every study needs \(Self.list(["study", "parameters", "sampler", "simulation"]))")
        }
        let info = top["study"].flatMap { studyInfo($0) }
        let parameters = top["parameters"].flatMap { self.parameters($0) }
        // Placeholders are checked against every declared name, even when a distribution was wrong.
        let declared = top["parameters"].map(Self.declaredNames) ?? []
        parameterOrder = top["parameters"].map(Self.declaredOrder) ?? []
        let buffer = top["buffer"].map { self.buffer($0) } ?? BufferSpec()
        let training = top["training"].map { self.training($0) } ?? TrainingSpec()
        let simulation = top["simulation"].flatMap { self.simulation($0, parameters: declared) }
        let sampler = top["sampler"].flatMap { self.sampler($0, parameters: parameters ?? []) }
        let execution = top["execution"].map { self.execution($0, top: top) } ?? ExecutionSpec()
        crossCheck(buffer: buffer, training: training, execution: execution, simulation: simulation, top: top)
        if let workers = execution.workers {
            crossCheck(workers: workers, execution: execution, simulation: simulation, top: top)
        }
        if sampler?.kind == .adaptive, execution.mode == .offline, let node = top["sampler"] {
            // Its choices need the server's training losses while the simulations run.
            report(
                node, "sampler.kind",
                "`adaptive` chooses simulations from the server's training losses; it needs `execution.mode: online`")
        }
        guard let info, let parameters, let sampler, let simulation else { return nil }
        let study = Study(
            info: info, parameters: parameters, sampler: sampler, simulation: simulation, buffer: buffer,
            training: training, execution: execution)
        return diagnostics.isEmpty ? study : nil
    }

    // MARK: - Reporting

    mutating func report(at mark: Position?, _ path: String, _ message: String) {
        diagnostics.append(
            StudyDiagnostic(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, path: path, message: message))
    }

    mutating func report(_ node: Node, _ path: String, _ message: String) {
        report(at: node.position, path, message)
    }

    private mutating func report(yamlError: YamlError, text: String) {
        switch yamlError {
        case .duplicatedKeysInMapping(let duplicates, let context):
            // Yams reports the mapping's start; find each repeated key at that indentation in a block mapping.
            let lines = text.components(separatedBy: "\n")
            let indent = String(repeating: " ", count: context.mark.column - 1)
            for key in duplicates {
                var seen: [Int] = []
                for number in (context.mark.line - 1)..<lines.count {
                    let line = lines[number]
                    if number >= context.mark.line, !line.hasPrefix(indent + " "), !line.hasPrefix(indent),
                        !line.trimmingCharacters(in: .whitespaces).isEmpty
                    {
                        break
                    }
                    if line.hasPrefix(indent + key + ":") { seen.append(number + 1) }
                }
                if seen.count > 1 {
                    for line in seen.dropFirst() {
                        report(
                            at: Position(line: line, column: context.mark.column), key,
                            "duplicate key (first given at line \(seen[0]), column \(context.mark.column))")
                    }
                } else {
                    report(
                        at: Position(line: context.mark.line, column: context.mark.column), key,
                        "duplicate key in this mapping; each key may be given once")
                }
            }
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let detail = context.map { "\($0.text) " } ?? ""
            let lines = text.components(separatedBy: "\n")
            let nearby = lines[max(0, mark.line - 2)..<min(lines.count, mark.line)]
            let hint =
                nearby.contains { $0.range(of: #":\s*\{\{"#, options: .regularExpression) != nil }
                ? " (a value that starts with `{{` must be quoted: YAML reads `{` as the start of a mapping)" : ""
            report(at: Position(line: mark.line, column: mark.column), "", "invalid YAML: \(detail)\(problem)\(hint)")
        case .reader(let problem, _, _, _):
            report(at: nil, "", "invalid text: \(problem)")
        default:
            report(at: nil, "", "invalid YAML: \(yamlError)")
        }
    }

    /// `a`, `a and b`, `a, b and c`, each in backquotes.
    static func list(_ words: [String]) -> String {
        let quoted = words.map { "`\($0)`" }
        guard let last = quoted.last else { return "" }
        return quoted.count == 1 ? last : quoted.dropLast().joined(separator: ", ") + " and " + last
    }

    /// How a node looks, for "found …" in messages.
    static func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar):
            if scalar.tag.rawValue == Tag.Name.null.rawValue || (scalar.style == .plain && scalar.string.isEmpty) {
                return "nothing"
            }
            let text = scalar.string.count > 40 ? String(scalar.string.prefix(37)) + "..." : scalar.string
            let shown = text.replacingOccurrences(of: "\n", with: "\\n")
            // A quoted number is a string to YAML: say so, or "found `12`" reads like a contradiction.
            if scalar.style == .singleQuoted || scalar.style == .doubleQuoted, Double(scalar.string) != nil {
                return "the string \"\(shown)\" (quoted: write it without quotes for a number)"
            }
            return "`\(shown)`"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    // MARK: - Mappings

    /// A mapping whose keys were checked against the allowed ones.
    struct Fields {
        let path: String
        let mark: Position?
        private(set) var entries: [String: (key: Node, value: Node)] = [:]

        init(path: String, mark: Position?) {
            self.path = path
            self.mark = mark
        }

        /// The value of `key`, nil when absent or explicitly empty (`key:` or `key: null`).
        subscript(key: String) -> Node? {
            guard let value = entries[key]?.value else { return nil }
            if case .scalar(let scalar) = value, scalar.style == .plain,
                scalar.tag.rawValue == Tag.Name.null.rawValue || scalar.string.isEmpty || scalar.string == "~"
                    || scalar.string == "null"
            {
                return nil
            }
            return value
        }

        func keyNode(_ key: String) -> Node? { entries[key]?.key }

        func path(_ key: String) -> String { StudyParser.join(path, key) }

        var keys: [String] { Array(entries.keys) }

        mutating func set(_ key: String, _ pair: (key: Node, value: Node)) { entries[key] = pair }
    }

    /// Checks that `node` is a mapping with string keys among `allowed`; reports unknown and duplicate keys.
    mutating func fields(_ node: Node, _ path: String, allowed: [String]?) -> Fields? {
        guard case .mapping(let mapping) = node else {
            let expected = allowed.map { "a mapping with the keys \(Self.list($0))" } ?? "a mapping"
            report(node, path, "expected \(expected), found \(Self.describe(node))")
            return nil
        }
        var result = Fields(path: path, mark: node.position)
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else {
                report(key, path, "keys must be plain words, found \(Self.describe(key))")
                continue
            }
            let name = scalar.string
            if let previous = result.keyNode(name) {
                let place = previous.position.map { " (first given at line \($0.line), column \($0.column))" } ?? ""
                report(key, Self.join(path, name), "duplicate key\(place)")
                continue
            }
            if let allowed, !allowed.contains(name) {
                if let guess = Spelling.suggestion(for: name, among: allowed) {
                    report(key, Self.join(path, name), "unknown key; did you mean `\(guess)`?")
                } else {
                    report(key, Self.join(path, name), "unknown key; expected one of \(Self.list(allowed))")
                }
                continue
            }
            result.set(name, (key, value))
        }
        return result
    }

    /// Reports a missing required key of `fields`.
    mutating func missing(_ fields: Fields, _ key: String, _ what: String) {
        let mark = fields.keyNode(key)?.position ?? fields.mark
        report(at: mark, fields.path(key), "missing; expected \(what)")
    }

    // MARK: - Scalars

    mutating func scalarNode(_ node: Node, _ path: String, expected: String) -> Node.Scalar? {
        guard case .scalar(let scalar) = node else {
            // `command: {{x}} …` is a flow mapping to YAML: the commonest surprise with placeholders.
            let hint = node.isMapping ? " (YAML reads a value that starts with `{` as a mapping: put it in quotes)" : ""
            report(node, path, "expected \(expected), found \(Self.describe(node))\(hint)")
            return nil
        }
        return scalar
    }

    /// An integer, at least `minimum` when given.
    mutating func integer(_ node: Node, _ path: String, minimum: Int? = nil, what: String = "an integer") -> Int? {
        guard let scalar = scalarNode(node, path, expected: what) else { return nil }
        guard scalar.tag.rawValue != Tag.Name.str.rawValue || scalar.style == .plain,
            let value = Int.construct(from: scalar)
        else {
            report(node, path, "expected \(what), found \(Self.describe(node))")
            return nil
        }
        if let minimum, value < minimum {
            report(node, path, "\(value) is too small; expected \(what)")
            return nil
        }
        return value
    }

    /// A finite real number.
    mutating func number(_ node: Node, _ path: String, what: String = "a number") -> Double? {
        guard let scalar = scalarNode(node, path, expected: what) else { return nil }
        let value: Double?
        if scalar.style == .plain {
            value =
                Int.construct(from: scalar).map(Double.init) ?? Double.construct(from: scalar) ?? Double(scalar.string)
        } else {
            value = nil
        }
        guard let value, value.isFinite else {
            report(node, path, "expected \(what), found \(Self.describe(node))")
            return nil
        }
        return value
    }

    /// A string (any scalar is read as its text); empty strings are refused unless `allowEmpty`.
    mutating func string(_ node: Node, _ path: String, what: String = "a string", allowEmpty: Bool = false)
        -> String?
    {
        guard let scalar = scalarNode(node, path, expected: what) else { return nil }
        if !allowEmpty, scalar.string.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            report(node, path, "is empty; expected \(what)")
            return nil
        }
        return scalar.string
    }

    /// `true` or `false`.
    mutating func boolean(_ node: Node, _ path: String) -> Bool? {
        guard let scalar = scalarNode(node, path, expected: "`true` or `false`"),
            let value = Bool.construct(from: scalar)
        else {
            if case .scalar = node { report(node, path, "expected `true` or `false`, found \(Self.describe(node))") }
            return nil
        }
        return value
    }

    /// One of an enumeration's raw values, with a suggestion when misspelt.
    mutating func choice<Value: RawRepresentable & CaseIterable>(_ node: Node, _ path: String, _: Value.Type)
        -> Value? where Value.RawValue == String
    {
        let options = Value.allCases.map(\.rawValue)
        guard let text = string(node, path, what: "one of \(Self.list(options))") else { return nil }
        if let value = Value(rawValue: text) { return value }
        if let guess = Spelling.suggestion(for: text, among: options) {
            report(node, path, "unknown value `\(text)`; did you mean `\(guess)`?")
        } else {
            report(node, path, "unknown value `\(text)`; expected one of \(Self.list(options))")
        }
        return nil
    }

    /// A list whose items `item` reads; a single scalar is taken as a one-item list when `singleAllowed`.
    mutating func list<Item>(
        _ node: Node, _ path: String, what: String, singleAllowed: Bool = false,
        item: (inout StudyParser, Node, String) -> Item?
    ) -> [Item]? {
        let items: [Node]
        switch node {
        case .sequence(let sequence): items = Array(sequence)
        case .scalar where singleAllowed: items = [node]
        default:
            report(node, path, "expected a list of \(what), found \(Self.describe(node))")
            return nil
        }
        var result: [Item] = []
        var failed = false
        for (index, element) in items.enumerated() {
            if let value = item(&self, element, "\(path)[\(index)]") { result.append(value) } else { failed = true }
        }
        return failed ? nil : result
    }

    /// A value written as text and parsed by `parse` (memory sizes, durations, walltimes); `hint` follows `what` in
    /// the message when the text does not parse.
    mutating func parsed<Value>(
        _ node: Node, _ path: String, what: String, hint: String = "", _ parse: (String) -> Value?
    ) -> Value? {
        guard let scalar = scalarNode(node, path, expected: what) else { return nil }
        guard let value = parse(scalar.string) else {
            report(node, path, "expected \(what)\(hint), found \(Self.describe(node))")
            return nil
        }
        return value
    }

    /// Memory such as `2G` or `512M`, in MiB.
    mutating func memory(_ node: Node, _ path: String) -> Int? {
        parsed(
            node, path, what: "a memory size such as `512M` or `2G`", hint: " (K, M, G or T; a plain number is MiB)",
            Quantities.mebibytes)
    }

    /// A duration such as `60s`, `5m` or `1h`, in seconds.
    mutating func duration(_ node: Node, _ path: String) -> Int? {
        parsed(node, path, what: "a duration such as `90s`, `5m`, `1h30m` or `HH:MM:SS`", Quantities.seconds)
    }

    /// A Slurm walltime.
    mutating func walltime(_ node: Node, _ path: String) -> Walltime? {
        parsed(node, path, what: "a walltime `HH:MM:SS`, `MM:SS`, `MM` or `D-HH:MM:SS`") { Walltime(parsing: $0) }
    }

    /// An identifier: a letter or `_`, then letters, digits and `_`.
    mutating func identifier(_ node: Node, _ path: String, what: String) -> String? {
        guard let text = string(node, path, what: what) else { return nil }
        guard Self.isIdentifier(text) else {
            report(
                node, path,
                "`\(text)` is not a valid name; expected \(what): a letter or `_`, then letters, digits or `_`")
            return nil
        }
        return text
    }

    static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.first, first == "_" || (first.isASCII && first.isLetter) else { return false }
        return text.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
    }
}

/// A place in the study file.
struct Position: Hashable {
    var line: Int
    var column: Int
}

extension Node {
    /// Where the node starts in the file.
    var position: Position? { mark.map { Position(line: $0.line, column: $0.column) } }
}
