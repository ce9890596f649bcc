import Foundation
import Yams

extension StudyParser {
    // MARK: - training

    mutating func training(_ node: Node) -> TrainingSpec {
        var spec = TrainingSpec()
        let allowed = [
            "ranks", "threads", "model", "batch_size", "optimizer", "validation", "checkpoint_every_batches",
            "normalization", "checkpoint_every_seconds", "epochs", "backend", "pytorch",
        ]
        guard let fields = fields(node, "training", allowed: allowed) else { return spec }
        if let value = fields["ranks"],
            let ranks = integer(value, "training.ranks", minimum: 1, what: "a positive number of ranks")
        {
            spec.ranks = ranks
        }
        if let value = fields["threads"], let threads = threadCount(value) { spec.threads = threads }
        if let value = fields["batch_size"],
            let size = integer(value, "training.batch_size", minimum: 1, what: "a positive number of samples")
        {
            spec.batchSize = size
        }
        if let value = fields["checkpoint_every_batches"],
            let count = integer(
                value, "training.checkpoint_every_batches", minimum: 1, what: "a positive number of batches")
        {
            spec.checkpointEveryBatches = count
        }
        if let value = fields["checkpoint_every_seconds"],
            let seconds = number(value, "training.checkpoint_every_seconds")
        {
            if seconds > 0, seconds.isFinite {
                spec.checkpointEverySeconds = seconds
                if let batches = fields["checkpoint_every_batches"] {
                    report(
                        batches, "training.checkpoint_every_batches",
                        "is not used with `checkpoint_every_seconds`; keep one of them")
                }
            } else {
                report(value, "training.checkpoint_every_seconds", "expected a positive number of seconds")
            }
        }
        if let value = fields["epochs"],
            let epochs = integer(
                value, "training.epochs", minimum: 1, what: "a positive number of passes over the stored data")
        {
            spec.epochs = epochs
        }
        if let value = fields["model"], let model = model(value) { spec.model = model }
        if let value = fields["optimizer"], let optimizer = optimizer(value) { spec.optimizer = optimizer }
        if let value = fields["validation"], let validation = validation(value) { spec.validation = validation }
        if let value = fields["normalization"], let normalization = normalization(value) {
            spec.normalization = normalization
        }
        backend(fields, into: &spec)
        return spec
    }

    /// `auto` or a positive number of threads.
    private mutating func threadCount(_ node: Node) -> ThreadCount? {
        let what = "`auto` or a positive number of threads"
        if let scalar = node.scalar, scalar.string == "auto" { return .auto }
        return integer(node, "training.threads", minimum: 1, what: what).map { .fixed($0) }
    }

    private mutating func normalization(_ node: Node) -> NormalizationSpec? {
        let allowed = ["outputs", "warmup_samples", "warmup_simulations"]
        guard let fields = fields(node, "training.normalization", allowed: allowed) else { return nil }
        var spec = NormalizationSpec()
        if let value = fields["outputs"],
            let outputs = choice(value, fields.path("outputs"), NormalizationSpec.Outputs.self)
        {
            spec.outputs = outputs
        }
        if let value = fields["warmup_samples"],
            let count = integer(value, fields.path("warmup_samples"), minimum: 1, what: "a positive number of samples")
        {
            spec.warmupSamples = count
        }
        if let value = fields["warmup_simulations"],
            let count = integer(
                value, fields.path("warmup_simulations"), minimum: 1, what: "a positive number of simulations")
        {
            spec.warmupSimulations = count
        }
        return spec
    }

    private mutating func model(_ node: Node) -> ModelSpec? {
        guard let fields = fields(node, "training.model", allowed: ["kind", "hidden", "activation"]) else { return nil }
        var spec = ModelSpec()
        if let value = fields["kind"], let kind = string(value, "training.model.kind", what: "`mlp`") {
            if kind == "mlp" {
                spec.kind = kind
            } else {
                report(value, "training.model.kind", "unknown model `\(kind)`; expected `mlp`")
            }
        }
        if let value = fields["hidden"],
            let hidden = list(
                value, "training.model.hidden", what: "layer widths",
                item: { parser, item, path in parser.integer(item, path, minimum: 1, what: "a positive layer width") })
        {
            if hidden.isEmpty, let value = fields["hidden"] {
                report(value, "training.model.hidden", "the list is empty; expected at least one hidden layer width")
            } else {
                spec.hidden = hidden
            }
        }
        if let value = fields["activation"],
            let activation = choice(value, "training.model.activation", ModelSpec.Activation.self)
        {
            spec.activation = activation
        }
        return spec
    }

    private mutating func optimizer(_ node: Node) -> OptimizerSpec? {
        let allowed = [
            "kind", "learning_rate", "weight_decay", "momentum", "decay_every_batches", "decay_factor", "decay_at",
        ]
        guard let fields = fields(node, "training.optimizer", allowed: allowed) else { return nil }
        var spec = OptimizerSpec()
        if let value = fields["kind"], let kind = choice(value, "training.optimizer.kind", OptimizerSpec.Kind.self) {
            spec.kind = kind
        }
        func real(_ key: String, _ range: ClosedRange<Double>, open: Bool, _ what: String, _ parser: inout StudyParser)
            -> Double?
        {
            guard let value = fields[key], let number = parser.number(value, fields.path(key)) else { return nil }
            let inside = range.contains(number) && !(open && number == range.lowerBound)
            if !inside {
                parser.report(
                    value, fields.path(key), "\(StudyParser.format(number)) is out of range; expected \(what)")
                return nil
            }
            return number
        }
        if let rate = real("learning_rate", 0...10, open: true, "a learning rate in (0, 10]", &self) {
            spec.learningRate = rate
        }
        if let decay = real("weight_decay", 0...1, open: false, "a weight decay in [0, 1]", &self) {
            spec.weightDecay = decay
        }
        if let momentum = real("momentum", 0...0.999_999, open: false, "a momentum in [0, 1)", &self) {
            spec.momentum = momentum
            if spec.kind != .sgd, let value = fields["momentum"] {
                report(value, fields.path("momentum"), "is used by `sgd` only; remove it or set `kind: sgd`")
            }
        }
        if let factor = real("decay_factor", 0...1, open: true, "a decay factor in (0, 1]", &self) {
            spec.decayFactor = factor
        }
        if let value = fields["decay_every_batches"],
            let every = integer(
                value, fields.path("decay_every_batches"), minimum: 0,
                what: "a non-negative number of batches (0: never)")
        {
            spec.decayEveryBatches = every
        }
        if let value = fields["decay_at"],
            let points = list(
                value, fields.path("decay_at"), what: "fractions of the study",
                item: { parser, item, path in parser.number(item, path) })
        {
            if points.allSatisfy({ $0 > 0 && $0 <= 1 }), zip(points, points.dropFirst()).allSatisfy({ $0 < $1 }) {
                spec.decayAt = points
                if spec.decayEveryBatches > 0 {
                    report(value, fields.path("decay_at"), "is not used with `decay_every_batches`; keep one of them")
                }
            } else {
                report(value, fields.path("decay_at"), "expected increasing fractions of the study in (0, 1]")
            }
        }
        return spec
    }

    private mutating func validation(_ node: Node) -> ValidationSpec? {
        let allowed = ["simulations", "every_batches", "seed", "file", "subsample", "require_skill"]
        guard let fields = fields(node, "training.validation", allowed: allowed) else { return nil }
        var spec = ValidationSpec()
        if let value = fields["simulations"],
            let count = integer(
                value, fields.path("simulations"), minimum: 0, what: "a non-negative number of simulations")
        {
            spec.simulations = count
        }
        if let value = fields["every_batches"],
            let every = integer(value, fields.path("every_batches"), minimum: 1, what: "a positive number of batches")
        {
            spec.everyBatches = every
        }
        if let value = fields["seed"],
            let seed = integer(value, fields.path("seed"), minimum: 0, what: "a non-negative integer")
        {
            spec.seed = UInt64(seed)
        }
        if let value = fields["subsample"],
            let count = integer(value, fields.path("subsample"), minimum: 1, what: "a positive number of samples")
        {
            spec.subsample = count
        }
        if let value = fields["require_skill"], let required = boolean(value, fields.path("require_skill")) {
            spec.requireSkill = required
        }
        if let value = fields["file"], let path = string(value, fields.path("file"), what: "a CSV file path") {
            let url = resolve(path)
            if FileManager.default.isReadableFile(atPath: url.path) {
                spec.file = path
                if let count = fields["simulations"] {
                    report(
                        count, fields.path("simulations"),
                        "is not used with `file`; every row of the file is a validation simulation")
                }
            } else {
                report(
                    value, fields.path("file"),
                    "`\(url.path)` is not a readable file; expected a CSV file of parameter values")
            }
        }
        return spec
    }
}
