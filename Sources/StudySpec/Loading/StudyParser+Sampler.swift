import Foundation
import Yams

extension StudyParser {
    // MARK: - sampler

    mutating func sampler(_ node: Node, parameters: [Parameter]) -> SamplerSpec? {
        let allowed = [
            "kind", "count", "scramble", "optimization", "levels", "file", "seed", "initial", "batch", "strategy",
            "exploration", "mutation", "signal",
        ]
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
        var ok = samplerCount(fields, into: &spec)
        ok = samplerAdaptive(fields, into: &spec) && ok
        ok = samplerScrambling(fields, into: &spec) && ok
        ok = samplerLevels(fields, parameters: parameters, into: &spec) && ok
        ok = samplerFile(fields, into: &spec) && ok
        if let value = fields["seed"] {
            if let seed = integer(value, "sampler.seed", minimum: 0, what: "a non-negative integer") {
                spec.seed = UInt64(seed)
            } else {
                ok = false
            }
        }
        return ok ? spec : nil
    }

    /// Reports `key` when it is given to a sampler that does not use it; false when it did.
    private mutating func unused(_ fields: Fields, _ key: String, by kind: SamplerSpec.Kind, _ reason: String) -> Bool {
        guard let value = fields[key] else { return true }
        report(value, fields.path(key), "is not used by the `\(kind.rawValue)` sampler; \(reason)")
        return false
    }

    /// `count`: required, except for `grid` and `file`, which have none.
    private mutating func samplerCount(_ fields: Fields, into spec: inout SamplerSpec) -> Bool {
        switch spec.kind {
        case .grid:
            return unused(fields, "count", by: spec.kind, "a grid has as many points as the product of its levels")
        case .file:
            return unused(fields, "count", by: spec.kind, "every row of the file is one simulation")
        default:
            guard let value = fields["count"] else {
                missing(fields, "count", "the number of simulations, e.g. `count: 250`")
                return false
            }
            guard let count = integer(value, "sampler.count", minimum: 1, what: "a positive number of simulations")
            else { return false }
            spec.count = count
            return true
        }
    }

    /// `scramble` (`sobol`, `halton`) and `optimization` (`latin-hypercube`).
    private mutating func samplerScrambling(_ fields: Fields, into spec: inout SamplerSpec) -> Bool {
        let kind = spec.kind
        var ok = true
        if let value = fields["scramble"] {
            if kind == .sobol || kind == .halton {
                if let scramble = self.scramble(value, kind: kind) { spec.scramble = scramble } else { ok = false }
            } else {
                ok = unused(fields, "scramble", by: kind, "only `sobol` and `halton` are scrambled") && ok
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
                ok = unused(fields, "optimization", by: kind, "only `latin-hypercube` is optimised") && ok
            }
        }
        return ok
    }

    /// The keys of `kind: adaptive`: `initial` (required), `batch`, `strategy`, `exploration`, `mutation`, `signal`;
    /// reported when another sampler is given them.
    private mutating func samplerAdaptive(_ fields: Fields, into spec: inout SamplerSpec) -> Bool {
        let keys = ["initial", "batch", "strategy", "exploration", "mutation", "signal"]
        guard spec.kind == .adaptive else {
            var ok = true
            for key in keys {
                ok =
                    unused(fields, key, by: spec.kind, "it belongs to `kind: adaptive` (docs/active-sampling.md)") && ok
            }
            return ok
        }
        guard let initialNode = fields["initial"] else {
            missing(fields, "initial", "the initial design, e.g. `initial: {kind: sobol, count: 64}`")
            return false
        }
        var ok = true
        var adaptive = AdaptiveSamplerSpec(initialCount: 0)
        let initialKinds: [SamplerSpec.Kind] = [.sobol, .halton, .latinHypercube, .monteCarlo]
        if let initial = self.fields(initialNode, "sampler.initial", allowed: ["kind", "count", "scramble"]) {
            if let value = initial["kind"] {
                if let kind = choice(value, "sampler.initial.kind", SamplerSpec.Kind.self) {
                    if initialKinds.contains(kind) {
                        adaptive.initialKind = kind
                    } else {
                        report(
                            value, "sampler.initial.kind",
                            "expected a space-filling design, one of \(Self.list(initialKinds.map(\.rawValue)))")
                        ok = false
                    }
                } else {
                    ok = false
                }
            }
            if let value = initial["count"] {
                if let count = integer(
                    value, "sampler.initial.count", minimum: 1, what: "a positive number of simulations")
                {
                    adaptive.initialCount = count
                } else {
                    ok = false
                }
            } else {
                missing(initial, "count", "the simulations of the initial design, e.g. `count: 64`")
                ok = false
            }
            if let value = initial["scramble"] {
                if let scramble = self.scramble(value, kind: adaptive.initialKind) {
                    adaptive.initialScramble = scramble
                } else {
                    ok = false
                }
            }
        } else {
            ok = false
        }
        if let value = fields["batch"] {
            if let batch = integer(value, "sampler.batch", minimum: 1, what: "a positive number of parameter sets") {
                adaptive.batch = batch
            } else {
                ok = false
            }
        }
        if let value = fields["strategy"] {
            if let strategy = choice(value, "sampler.strategy", AdaptiveSamplerSpec.Strategy.self) {
                adaptive.strategy = strategy
            } else {
                ok = false
            }
        }
        if let value = fields["signal"] {
            if let signal = choice(value, "sampler.signal", AdaptiveSamplerSpec.Signal.self) {
                adaptive.signal = signal
            } else {
                ok = false
            }
        }
        for (key, path) in [("exploration", "sampler.exploration"), ("mutation", "sampler.mutation")] {
            guard let value = fields[key] else { continue }
            guard let pair = fractionPair(value, path) else {
                ok = false
                continue
            }
            if key == "exploration" { adaptive.exploration = pair } else { adaptive.mutation = pair }
        }
        if ok, adaptive.initialCount >= spec.count, let value = fields["initial"] {
            report(
                value, "sampler.initial.count",
                "\(adaptive.initialCount) initial simulations leave none of the \(spec.count) to choose; expected fewer "
                    + "than `count`")
            ok = false
        }
        spec.adaptive = adaptive
        return ok
    }

    /// `[start, end]` (or one number for both), each in [0, 1].
    private mutating func fractionPair(_ node: Node, _ path: String) -> [Double]? {
        let what = "a fraction in [0, 1], or `[start, end]`"
        let items: [Node]
        if case .sequence(let sequence) = node { items = Array(sequence) } else { items = [node] }
        guard items.count == 1 || items.count == 2 else {
            report(node, path, "expected \(what), found \(items.count) values")
            return nil
        }
        var values: [Double] = []
        for item in items {
            guard let value = number(item, path, what: what) else { return nil }
            guard (0...1).contains(value) else {
                report(item, path, "expected \(what), found \(value)")
                return nil
            }
            values.append(value)
        }
        return values.count == 1 ? [values[0], values[0]] : values
    }

    /// `levels`, for `grid` only; a grid's count is the product of its levels.
    private mutating func samplerLevels(_ fields: Fields, parameters: [Parameter], into spec: inout SamplerSpec)
        -> Bool
    {
        guard spec.kind == .grid else { return unused(fields, "levels", by: spec.kind, "levels belong to `grid`") }
        guard let levels = gridLevels(fields["levels"], parameters: parameters, fields: fields) else { return false }
        spec.levels = levels
        spec.count = levels.reduce(1) { $0.multipliedReportingOverflow(by: $1).partialValue }
        return true
    }

    /// `file`, required by the `file` sampler only: a readable CSV file.
    private mutating func samplerFile(_ fields: Fields, into spec: inout SamplerSpec) -> Bool {
        guard spec.kind == .file else {
            return unused(fields, "file", by: spec.kind, "only the `file` sampler reads a file")
        }
        guard let value = fields["file"] else {
            missing(fields, "file", "a CSV file with one column per parameter, e.g. `file: points.csv`")
            return false
        }
        guard let path = string(value, "sampler.file", what: "a CSV file path") else { return false }
        let url = resolve(path)
        guard FileManager.default.isReadableFile(atPath: url.path) else {
            report(
                value, "sampler.file", "`\(url.path)` is not a readable file; expected a CSV file of parameter values")
            return false
        }
        spec.file = path
        return true
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
}
