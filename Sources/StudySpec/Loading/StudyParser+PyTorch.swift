import Foundation
import Yams

extension StudyParser {
    // MARK: - training.backend and training.pytorch

    /// The names the server puts into the module's `config` beside `training.pytorch.options`.
    static let serverConfigKeys = ["batch_size", "fields", "parameters"]

    /// Python's reserved words: none of them names a function.
    static let pythonKeywords: Set<String> = [
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
        "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda",
        "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
    ]

    /// Reads `backend` and `pytorch` of the `training` section into `spec`, with their cross-checks: a PyTorch
    /// backend needs its section and has no `model`; a section is only read with `backend: pytorch`.
    mutating func backend(_ fields: Fields, into spec: inout TrainingSpec) {
        let backendValue = fields["backend"]
        if let backendValue {
            spec.backend = choice(backendValue, fields.path("backend"), TrainingBackend.self)
        }
        let section = fields["pytorch"].flatMap { pytorch($0) }
        switch spec.backend {
        case .pytorch?:
            if fields["pytorch"] == nil {
                // At `pytorch:` when it is there but empty, else at the backend that asks for it.
                report(
                    at: (fields.keyNode("pytorch") ?? backendValue)?.position ?? fields.mark, fields.path("pytorch"),
                    "missing section; `backend: pytorch` needs `pytorch: {module: surrogate.py}`, the Python file "
                        + "of the model")
            }
            spec.pytorch = section
            if let model = fields.keyNode("model"), fields["model"] != nil {
                report(
                    model, fields.path("model"),
                    "is not used with `backend: pytorch` (the model is the module's `make_model` factory); remove it "
                        + "or set `backend: native`")
            }
        case .native?:
            if let key = fields.keyNode("pytorch"), fields["pytorch"] != nil {
                report(
                    key, fields.path("pytorch"),
                    "is not used with `backend: native`; set `backend: pytorch` to train this module, or remove it")
            }
        case nil:
            // A misspelt backend was reported already.
            if backendValue == nil, let key = fields.keyNode("pytorch"), fields["pytorch"] != nil {
                report(
                    key, fields.path("pytorch"),
                    "is only read with `backend: pytorch`; add `backend: pytorch` to the training section "
                        + "(the default backend is `native`)")
            }
        }
    }

    /// The `training.pytorch` section; nil when it has a problem (reported).
    private mutating func pytorch(_ node: Node) -> PyTorchSpec? {
        let allowed = ["module", "model", "make_optimizer", "loss", "device", "python", "options"]
        guard let fields = fields(node, "training.pytorch", allowed: allowed) else { return nil }
        var failed = false
        let module = pythonModule(fields)
        var spec = PyTorchSpec(module: module ?? "")
        if let name = function(
            fields, "model", "the name of the factory `make_model(inputs, outputs, config) -> torch.nn.Module`",
            failed: &failed)
        {
            spec.model = name
        }
        spec.makeOptimizer = function(
            fields, "make_optimizer",
            "the name of a function `make_optimizer(model, config) -> torch.optim.Optimizer`", failed: &failed)
        spec.loss = function(
            fields, "loss", "the name of a function `loss(prediction, target) -> scalar tensor`", failed: &failed)
        if let value = fields["device"] {
            if let device = choice(value, fields.path("device"), PyTorchSpec.Device.self) {
                spec.device = device
            } else {
                failed = true
            }
        }
        if let value = fields["python"] {
            if let python = string(
                value, fields.path("python"),
                what: "the Python interpreter, such as `python3` (looked up in PATH) or `/opt/venv/bin/python`")
            {
                spec.python = python
            } else {
                failed = true
            }
        }
        if let value = fields["options"] {
            if let options = options(value, fields.path("options")) {
                spec.options = options
            } else {
                failed = true
            }
        }
        spec.python = Self.interpreterPath(spec.python)
        return module == nil || failed ? nil : spec
    }

    /// `python` as the plan records it: a bare name is looked up in `PATH` now, where the user plans (the server's
    /// `PATH` can differ: `mpirun` invoked by its absolute path puts its own bin directory first); a name not found
    /// stays as it is, and a path stays as it is.
    static func interpreterPath(
        _ python: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> String {
        guard !python.contains("/") else { return python }
        for directory in (environment["PATH"] ?? "").split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(python)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return python
    }

    /// `module`: a `.py` file relative to the study file's directory, as an absolute path; it is not imported.
    private mutating func pythonModule(_ fields: Fields) -> String? {
        let what = "the Python file of the model, relative to the study file, e.g. `module: surrogate.py`"
        guard let value = fields["module"] else {
            missing(fields, "module", what)
            return nil
        }
        guard let path = string(value, fields.path("module"), what: what) else { return nil }
        guard path.hasSuffix(".py") else {
            report(value, fields.path("module"), "`\(path)` does not end in `.py`; expected \(what)")
            return nil
        }
        let url = resolve(path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            report(value, fields.path("module"), "`\(url.path)` does not exist; expected \(what)")
            return nil
        }
        let type = (try? FileManager.default.attributesOfItem(atPath: url.path))?[.type] as? FileAttributeType
        guard !isDirectory.boolValue, type == .typeRegular || type == .typeSymbolicLink,
            FileManager.default.isReadableFile(atPath: url.path)
        else {
            report(value, fields.path("module"), "`\(url.path)` is not a readable regular file; expected \(what)")
            return nil
        }
        return url.path
    }

    /// A function of the module named by `key`: a Python identifier that is not a keyword.
    private mutating func function(_ fields: Fields, _ key: String, _ what: String, failed: inout Bool) -> String? {
        guard let value = fields[key] else { return nil }
        guard let name = identifier(value, fields.path(key), what: what) else {
            failed = true
            return nil
        }
        if Self.pythonKeywords.contains(name) {
            report(value, fields.path(key), "`\(name)` is a Python keyword, not a function name; expected \(what)")
            failed = true
            return nil
        }
        return name
    }

    /// `options`: any mapping, passed to the module as its `config` (beside the keys the server fills).
    private mutating func options(_ node: Node, _ path: String) -> [String: ConfigValue]? {
        guard node.isMapping else {
            report(node, path, "expected a mapping of settings for the module's `config`, found \(Self.describe(node))")
            return nil
        }
        guard case .map(let entries)? = configValue(node, path) else { return nil }
        var failed = false
        if let fields = Self.keyNodes(node) {
            for key in Self.serverConfigKeys {
                if let keyNode = fields[key] {
                    report(
                        keyNode, Self.join(path, key),
                        "is filled by the server in `config` (with \(Self.list(Self.serverConfigKeys))); "
                            + "choose another name")
                    failed = true
                }
            }
        }
        return failed ? nil : entries
    }

    /// The key nodes of a mapping node, by name.
    private static func keyNodes(_ node: Node) -> [String: Node]? {
        guard case .mapping(let mapping) = node else { return nil }
        var result: [String: Node] = [:]
        for (key, _) in mapping {
            if let name = key.scalar?.string { result[name] = key }
        }
        return result
    }

    /// A plain YAML value: mappings, lists, null, booleans, integers, other numbers and strings, as Yams resolves
    /// them (YAML 1.1 booleans such as `yes` and `off` included; a quoted scalar is a string).
    private mutating func configValue(_ node: Node, _ path: String) -> ConfigValue? {
        switch node {
        case .mapping:
            guard let fields = fields(node, path, allowed: nil) else { return nil }
            var entries: [String: ConfigValue] = [:]
            var failed = false
            for key in fields.keys.sorted() {
                guard let value = fields.entries[key]?.value else { continue }
                if let converted = configValue(value, fields.path(key)) {
                    entries[key] = converted
                } else {
                    failed = true
                }
            }
            return failed ? nil : .map(entries)
        case .sequence(let sequence):
            var items: [ConfigValue] = []
            var failed = false
            for (index, item) in sequence.enumerated() {
                if let converted = configValue(item, "\(path)[\(index)]") {
                    items.append(converted)
                } else {
                    failed = true
                }
            }
            return failed ? nil : .list(items)
        case .scalar(let scalar):
            return configScalar(scalar, node, path)
        case .alias:
            report(node, path, "expected a plain value, found \(Self.describe(node))")
            return nil
        }
    }

    private mutating func configScalar(_ scalar: Node.Scalar, _ node: Node, _ path: String) -> ConfigValue? {
        // `node.tag` resolves a plain scalar's tag as YAML does (a quoted scalar is a string).
        switch node.tag.rawValue {
        case Tag.Name.null.rawValue:
            return .null
        case Tag.Name.bool.rawValue:
            return Bool.construct(from: scalar).map(ConfigValue.bool) ?? .string(scalar.string)
        case Tag.Name.int.rawValue:
            if let value = Int.construct(from: scalar) { return .integer(value) }
            report(
                node, path,
                "\(scalar.string) does not fit in a 64-bit integer; write it as a number with a fraction or quote it")
            return nil
        case Tag.Name.float.rawValue:
            guard let value = Double.construct(from: scalar), value.isFinite else {
                report(
                    node, path, "expected a finite number, found \(Self.describe(node)) (JSON has no infinity or NaN)")
                return nil
            }
            return .number(value)
        default:
            return .string(scalar.string)
        }
    }
}
