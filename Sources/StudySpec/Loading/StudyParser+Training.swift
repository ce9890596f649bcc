import Foundation
import Yams

extension StudyParser {
    // MARK: - buffer

    mutating func buffer(_ node: Node) -> BufferSpec {
        var spec = BufferSpec()
        guard let fields = fields(node, "buffer", allowed: ["policy", "capacity", "watermark"]) else { return spec }
        if let value = fields["policy"], let policy = choice(value, "buffer.policy", BufferSpec.Policy.self) {
            spec.policy = policy
        }
        if let value = fields["capacity"],
            let capacity = integer(value, "buffer.capacity", minimum: 1, what: "a positive number of samples")
        {
            spec.capacity = capacity
        }
        if let value = fields["watermark"] {
            if let watermark = integer(value, "buffer.watermark", minimum: 1, what: "a positive number of samples") {
                spec.watermark = watermark
            }
        } else {
            spec.watermark = min(spec.watermark, spec.capacity)
        }
        return spec
    }

    // MARK: - training

    mutating func training(_ node: Node) -> TrainingSpec {
        var spec = TrainingSpec()
        let allowed = [
            "ranks", "threads", "model", "batch_size", "optimizer", "validation", "checkpoint_every_batches",
        ]
        guard let fields = fields(node, "training", allowed: allowed) else { return spec }
        if let value = fields["ranks"],
            let ranks = integer(value, "training.ranks", minimum: 1, what: "a positive number of ranks")
        {
            spec.ranks = ranks
        }
        if let value = fields["threads"],
            let threads = integer(value, "training.threads", minimum: 1, what: "a positive number of threads")
        {
            spec.threads = threads
        }
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
        if let value = fields["model"], let model = model(value) { spec.model = model }
        if let value = fields["optimizer"], let optimizer = optimizer(value) { spec.optimizer = optimizer }
        if let value = fields["validation"], let validation = validation(value) { spec.validation = validation }
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
        let allowed = ["kind", "learning_rate", "weight_decay", "momentum", "decay_every_batches", "decay_factor"]
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
        return spec
    }

    private mutating func validation(_ node: Node) -> ValidationSpec? {
        let allowed = ["simulations", "every_batches", "seed", "file"]
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

    // MARK: - execution

    mutating func execution(_ node: Node, top: Fields) -> ExecutionSpec {
        var spec = ExecutionSpec()
        let allowed = ["scheduler", "concurrency", "server", "slurm", "local"]
        guard let fields = fields(node, "execution", allowed: allowed) else { return spec }
        if let value = fields["scheduler"],
            let scheduler = choice(value, "execution.scheduler", ExecutionSpec.Scheduler.self)
        {
            spec.scheduler = scheduler
            if scheduler == .slurm, fields.entries["slurm"] == nil {
                report(
                    value, "execution.scheduler",
                    "is `slurm` but there is no `execution.slurm` section; expected one (it may be empty: `slurm: {}`)")
            }
        }
        if let value = fields["concurrency"],
            let window = self.fields(value, "execution.concurrency", allowed: ["min", "max"])
        {
            if let low = window["min"],
                let min = integer(low, window.path("min"), minimum: 1, what: "a positive number")
            {
                spec.concurrency.min = min
                spec.concurrency.max = Swift.max(spec.concurrency.max, min)
            }
            if let high = window["max"],
                let max = integer(high, window.path("max"), minimum: 1, what: "a positive number")
            {
                spec.concurrency.max = max
                if window["min"] == nil { spec.concurrency.min = Swift.min(spec.concurrency.min, max) }
                if spec.concurrency.min > max {
                    report(
                        high, window.path("max"),
                        "\(max) is smaller than execution.concurrency.min (\(spec.concurrency.min))")
                }
            }
        }
        if let value = fields["server"], let resources = resources(value, "execution.server", tasks: false) {
            spec.server = resources
        }
        if let value = fields.entries["slurm"]?.value {
            spec.slurm = value.isEmptyValue ? SlurmOptions() : slurm(value)
        }
        if let value = fields["local"],
            let local = self.fields(value, "execution.local", allowed: ["mpirun", "mpirun_arguments"])
        {
            if let mpirun = local["mpirun"], let path = string(mpirun, local.path("mpirun"), what: "an executable") {
                spec.local.mpirun = path
            }
            if let arguments = local["mpirun_arguments"],
                let values = list(
                    arguments, local.path("mpirun_arguments"), what: "arguments", singleAllowed: true,
                    item: { parser, item, path in parser.string(item, path, what: "an argument") })
            {
                spec.local.mpirunArguments = values
            }
        }
        return spec
    }

    private mutating func slurm(_ node: Node) -> SlurmOptions? {
        let jobKeys = ["partition", "account", "qos", "constraint", "reservation", "gres", "directives"]
        let allowed =
            jobKeys + [
                "server", "packing", "launcher", "launcher_arguments", "signal_before_walltime", "max_array_size",
            ]
        guard let fields = fields(node, "execution.slurm", allowed: allowed) else { return nil }
        var spec = SlurmOptions()
        spec.job = jobOptions(fields)
        if let value = fields["server"], let server = self.fields(value, "execution.slurm.server", allowed: jobKeys) {
            spec.server = jobOptions(server)
        }
        if let value = fields["packing"], let packing = choice(value, fields.path("packing"), SlurmOptions.Packing.self)
        {
            spec.packing = packing
        }
        if let value = fields["launcher"],
            let launcher = choice(value, fields.path("launcher"), SlurmOptions.Launcher.self)
        {
            spec.launcher = launcher
        }
        if let value = fields["launcher_arguments"],
            let arguments = list(
                value, fields.path("launcher_arguments"), what: "arguments", singleAllowed: true,
                item: { parser, item, path in parser.string(item, path, what: "an argument") })
        {
            spec.launcherArguments = arguments
        }
        if let value = fields["max_array_size"],
            let size = integer(
                value, fields.path("max_array_size"), minimum: 1, what: "the cluster's MaxArraySize (≥ 1)")
        {
            spec.maxArraySize = size
        }
        if let value = fields["signal_before_walltime"],
            let seconds = duration(value, fields.path("signal_before_walltime"))
        {
            if seconds > 65_535 {
                report(
                    value, fields.path("signal_before_walltime"),
                    "\(seconds) s is too long; Slurm accepts at most 65535 s")
            } else {
                spec.signalSecondsBeforeWalltime = seconds
            }
        }
        return spec
    }

    /// Slurm option values go into `#SBATCH` lines: no blanks, quotes or shell characters.
    private mutating func jobOptions(_ fields: Fields) -> SlurmJobOptions {
        var options = SlurmJobOptions()
        let safe = CharacterSet(
            charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:,=+-/@%[]|&!*")
        func value(_ key: String, _ parser: inout StudyParser) -> String? {
            guard let node = fields[key], let text = parser.string(node, fields.path(key), what: "a Slurm \(key)")
            else {
                return nil
            }
            guard text.unicodeScalars.allSatisfy(safe.contains) else {
                parser.report(
                    node, fields.path(key),
                    "`\(text.replacingOccurrences(of: "\n", with: "\\n"))` holds a blank, quote or shell character; "
                        + "expected a Slurm \(key) such as `gpu`")
                return nil
            }
            return text
        }
        options.partition = value("partition", &self)
        options.account = value("account", &self)
        options.qos = value("qos", &self)
        options.constraint = value("constraint", &self)
        options.reservation = value("reservation", &self)
        options.gres = value("gres", &self)
        if let node = fields["directives"],
            let lines = list(
                node, fields.path("directives"), what: "sbatch options", singleAllowed: true,
                item: { parser, item, path in parser.directive(item, path) })
        {
            options.directives = lines
        }
        return options
    }

    private mutating func directive(_ node: Node, _ path: String) -> String? {
        guard let text = string(node, path, what: "an sbatch option such as `--exclusive`") else { return nil }
        guard text.hasPrefix("-"), !text.contains("\n"), !text.contains("\r") else {
            report(
                node, path,
                "`\(text.replacingOccurrences(of: "\n", with: "\\n"))` is not an sbatch option; expected one line starting with `-`, e.g. `--exclusive`"
            )
            return nil
        }
        return text
    }

    // MARK: - cross-field checks

    mutating func crossCheck(
        buffer spec: BufferSpec, training: TrainingSpec, execution: ExecutionSpec, simulation: SimulationSpec?,
        top: Fields
    ) {
        // The sections were read already; here only the places of their values are needed.
        let buffer = top["buffer"]
        let trainingSection = top["training"]
        let executionSection = top["execution"]
        if spec.watermark > spec.capacity {
            let node = Self.child(buffer, "watermark") ?? Self.child(buffer, "capacity")
            report(
                at: node?.position ?? top.keyNode("buffer")?.position, "buffer.watermark",
                "\(spec.watermark) is larger than buffer.capacity (\(spec.capacity))")
        }
        if training.batchSize > spec.capacity {
            report(
                at: (Self.child(trainingSection, "batch_size") ?? Self.child(buffer, "capacity"))?.position ?? top.mark,
                "training.batch_size",
                "\(training.batchSize) is larger than buffer.capacity (\(spec.capacity)); a batch must fit in the buffer"
            )
        }
        if training.ranks < execution.server.nodes {
            let nodes = Self.child(Self.child(executionSection, "server"), "nodes")
            report(
                at: (nodes ?? Self.child(trainingSection, "ranks"))?.position ?? top.mark,
                "execution.server.nodes",
                "\(execution.server.nodes) nodes for \(training.ranks) training rank\(training.ranks == 1 ? "" : "s"); "
                    + "expected at most one node per rank (training.ranks)")
        }
        if let slurm = execution.slurm, execution.scheduler == .slurm, let simulation {
            let shortest = min(simulation.resources.walltime.seconds, execution.server.walltime.seconds)
            if slurm.signalSecondsBeforeWalltime >= shortest {
                let slurmSection = Self.child(executionSection, "slurm")
                report(
                    at: (Self.child(slurmSection, "signal_before_walltime") ?? slurmSection)?.position ?? top.mark,
                    "execution.slurm.signal_before_walltime",
                    "\(slurm.signalSecondsBeforeWalltime) s is not shorter than the shortest walltime "
                        + "(\(Walltime(seconds: shortest))); expected a warning well before the walltime")
            }
        }
    }

    /// The value of `key` in a mapping node, without any check (the section was read already).
    static func child(_ node: Node?, _ key: String) -> Node? {
        guard case .mapping(let mapping)? = node else { return nil }
        return mapping.first { $0.key.scalar?.string == key }?.value
    }
}
