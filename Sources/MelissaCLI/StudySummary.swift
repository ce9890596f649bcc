import Foundation
import StudySpec

/// The one-screen description of a study that `melissa validate` prints.
struct StudySummary {
    let loaded: LoadedStudy

    init(_ loaded: LoadedStudy) {
        self.loaded = loaded
    }

    private var study: Study { loaded.study }

    var text: String {
        let study = loaded.study
        var lines: [String] = []
        let title = study.info.description.map { "\(study.info.name): \($0)" } ?? study.info.name
        lines.append("✓ \(title)")
        func row(_ label: String, _ value: String) {
            lines.append("  " + label.padding(toLength: 12, withPad: " ", startingAt: 0) + value)
        }
        row("study dir", loaded.resolve(study.info.output).path)
        let parameters = study.parameters.map { "\($0.name) \(Self.describe($0.distribution))" }
        row("parameters", "\(parameters.count): " + parameters.joined(separator: ", "))
        row("sampler", Self.describe(study.sampler) + ", seed \(study.sampler.seed ?? study.info.seed)")
        let validation = study.training.validation
        if let file = validation.file {
            row("validation", "parameter sets from \(file), every \(validation.everyBatches) batches")
        } else if validation.simulations > 0 {
            row(
                "validation", "\(validation.simulations) held-out simulations, every \(validation.everyBatches) batches"
            )
        } else {
            row("validation", "none")
        }
        let simulation = study.simulation
        row("command", simulation.command)
        let fields = simulation.fields.map { field in field.size.map { "\(field.name) (\($0) values)" } ?? field.name }
        row("fields", fields.joined(separator: ", ") + ", \(simulation.timeSteps) time steps")
        row("resources", Self.describe(simulation.resources, tasks: simulation.resources.tasks))
        row(
            "faults",
            "silent for \(simulation.timeoutSeconds) s = hung; \(counted(simulation.retries, "retry", "retries")); "
                + "new parameters after \(simulation.redrawAfter) crashes")
        let buffer = study.buffer
        row("buffer", "\(buffer.policy.rawValue), capacity \(buffer.capacity), watermark \(buffer.watermark) per rank")
        let training = study.training
        let outputs = simulation.fields.map { $0.size.map(String.init) ?? "|\($0.name)|" }.joined(separator: "+")
        let layers = ["\(study.parameters.count + 1)"] + training.model.hidden.map(String.init) + [outputs]
        if training.effectiveBackend == .pytorch, let pytorch = training.pytorch {
            let optimizer =
                pytorch.makeOptimizer.map { "\($0)(model, config)" }
                ?? "\(training.optimizer.kind.rawValue) lr \(training.optimizer.learningRate)"
            row(
                "model",
                "PyTorch \(pytorch.model)(inputs, outputs, config) of \(pytorch.module) (device \(pytorch.device.rawValue), "
                    + "\(pytorch.python)), \(optimizer), loss \(pytorch.loss ?? "MSE"), batch \(training.batchSize)")
        } else {
            row(
                "model",
                "MLP \(layers.joined(separator: " → ")) (\(training.model.activation.rawValue)), "
                    + "\(training.optimizer.kind.rawValue) lr \(training.optimizer.learningRate), "
                    + "batch \(training.batchSize)")
        }
        let seconds = training.checkpointEverySeconds ?? TrainingSpec.defaultCheckpointSeconds
        let checkpoints: String =
            training.checkpointEveryBatches.map { "checkpoint every \($0) batches" }
            ?? "checkpoint every \(Self.number(seconds)) s"
        row(
            "training",
            "\(training.ranks) rank\(training.ranks == 1 ? "" : "s") × \(training.threads) thread"
                + "\(training.threads == 1 ? "" : "s"), \(checkpoints)")
        let optimizer = training.optimizer
        let points = optimizer.effectiveDecayAt.map { "\(Self.number($0 * 100)) %" }.joined(separator: ", ")
        let decay: String =
            optimizer.decayEveryBatches > 0
            ? "× \(Self.number(optimizer.decayFactor)) every \(optimizer.decayEveryBatches) batches"
            : optimizer.effectiveDecayAt.isEmpty
                ? "constant"
                : "× \(Self.number(optimizer.decayFactor)) at \(points) of the samples received"
        row(
            "schedule",
            "learning rate " + "\(optimizer.learningRate), \(decay); the best validated weights are exported")
        row("scaling", normalizationText)
        let execution = study.execution
        if let workers = execution.workers {
            let walltime = workers.walltime ?? execution.server.walltime
            row(
                "execution",
                "\(execution.scheduler.rawValue), \(execution.concurrency.min)–\(workers.count) worker jobs at once, "
                    + "each running simulations one after another (walltime \(walltime))"
                    + (execution.slurm.map { ", MPI by \($0.launcher.rawValue)" } ?? ""))
        } else {
            row(
                "execution",
                "\(execution.scheduler.rawValue), \(execution.concurrency.min)–\(execution.concurrency.max) simulations "
                    + "at once"
                    + (execution.slurm.map { slurm in
                        slurm.allocation == .single
                            ? ", one Slurm allocation (layout \(slurm.allocationLayout.rawValue)): the server and every "
                                + "simulation run as srun steps of it; `melissa plan` writes its batch script"
                            : ", \(slurm.packing.rawValue) packing, MPI by \(slurm.launcher.rawValue)"
                    } ?? ""))
        }
        if simulation.fields.allSatisfy({ $0.size != nil }) {
            let values = simulation.fields.reduce(0) { $0 + ($1.size ?? 0) }
            let simulations = study.sampler.count + validation.simulations
            let bytes = Double(simulations) * Double(simulation.timeSteps) * Double(values) * 4
            if study.execution.mode == .offline {
                let epochs = study.training.epochs ?? TrainingSpec.defaultEpochs
                row(
                    "offline",
                    "the simulations write \(Self.bytes(bytes)) (float32, \(simulations) simulations) to <study dir>/data; "
                        + "`melissa launch` then trains on them for \(epochs) epoch\(epochs == 1 ? "" : "s")")
            } else {
                row(
                    "data",
                    "\(Self.bytes(bytes)) streamed as float32 (\(simulations) simulations); on disk only checkpoints "
                        + "(weights, optimiser, buffer)")
            }
        }
        for warning in warnings { lines.append("warning: " + warning) }
        return lines.joined(separator: "\n")
    }

    /// What the normalisation of the study is: inputs from the plan, outputs from ranges or a warm-up.
    private var normalizationText: String {
        let simulation = study.simulation
        let spec = study.training.normalization ?? NormalizationSpec()
        let learned = simulation.fields.filter { $0.range == nil }
        var text = "inputs from the parameters' distributions and the time steps"
        guard !learned.isEmpty else { return text + "; outputs from the fields' ranges" }
        let samples = min(spec.warmupSamples ?? study.buffer.watermark, study.buffer.capacity)
        let simulations = min(
            spec.warmupSimulations ?? NormalizationSpec.defaultWarmupSimulations, max(study.sampler.count, 1))
        text += "; outputs \(spec.outputs.rawValue.replacingOccurrences(of: "_", with: " ")) from the first "
        text += "\(samples) training samples of \(simulations) distinct simulations (training starts after them)"
        return text
    }

    /// What may not go as the user expects, one line each.
    var warnings: [String] {
        var result: [String] = []
        let spec = study.training.normalization ?? NormalizationSpec()
        let buffer = study.buffer
        guard study.simulation.fields.contains(where: { $0.range == nil }) else { return result }
        if let samples = spec.warmupSamples, samples > buffer.capacity {
            result.append(
                "training.normalization.warmup_samples (\(samples)) exceeds buffer.capacity (\(buffer.capacity)): "
                    + "the warm-up ends when the buffer is full")
        }
        let wanted = spec.warmupSimulations ?? NormalizationSpec.defaultWarmupSimulations
        if let explicit = spec.warmupSimulations, explicit > study.sampler.count {
            result.append(
                "training.normalization.warmup_simulations (\(explicit)) exceeds the \(study.sampler.count) training "
                    + "simulations: the warm-up spans all of them")
        }
        // The buffer fills before `wanted` simulations have streamed when it cannot hold the steps of those that
        // run before the last of them starts.
        let concurrent = study.execution.concurrency.max
        let needed = max(min(wanted, study.sampler.count) - concurrent, 0) * study.simulation.timeSteps
        if needed > buffer.capacity {
            result.append(
                "buffer.capacity (\(buffer.capacity)) holds fewer samples than the normalisation warm-up needs "
                    + "(\(min(wanted, study.sampler.count)) simulations of \(study.simulation.timeSteps) steps, "
                    + "\(concurrent) at once): it ends when the buffer is full, with fewer simulations; give the "
                    + "fields a `range`, or a larger capacity")
        }
        return result
    }

    private static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    static func describe(_ distribution: DistributionSpec) -> String {
        func number(_ value: Double) -> String {
            value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
        }
        switch distribution {
        case .uniform(let lower, let upper): return "uniform [\(number(lower)), \(number(upper))]"
        case .logUniform(let lower, let upper): return "log-uniform [\(number(lower)), \(number(upper))]"
        case .normal(let mean, let std, let lower, let upper):
            let bounds =
                lower == nil && upper == nil ? "" : " in [\(lower.map(number) ?? "-∞"), \(upper.map(number) ?? "∞")]"
            return "normal(\(number(mean)), \(number(std)))\(bounds)"
        case .integerUniform(let lower, let upper): return "integer \(lower)...\(upper)"
        case .choice(let values): return "one of {\(values.map(\.description).joined(separator: ", "))}"
        }
    }

    static func describe(_ sampler: SamplerSpec) -> String {
        switch sampler.kind {
        case .sobol, .halton:
            let scramble = sampler.scramble == .none ? "unscrambled" : "\(sampler.scramble.rawValue) scramble"
            return "\(sampler.kind.rawValue) (\(scramble)), \(sampler.count) simulations"
        case .latinHypercube:
            let optimised = sampler.optimization == .none ? "" : " (\(sampler.optimization.rawValue))"
            return "latin-hypercube\(optimised), \(sampler.count) simulations"
        case .grid:
            return "grid \(sampler.levels.map(String.init).joined(separator: "×")) = \(sampler.count) simulations"
        case .file:
            return "points from \(sampler.file ?? "?")"
        case .monteCarlo:
            return "monte-carlo, \(sampler.count) simulations"
        case .adaptive:
            guard let rules = sampler.adaptive else { return "adaptive, \(sampler.count) simulations" }
            func percent(_ value: Double) -> String { "\(Int((value * 100).rounded())) %" }
            let chosen = sampler.count - rules.initialCount
            return
                "adaptive, \(sampler.count) simulations: \(rules.initialCount) from \(rules.initialKind.rawValue), then "
                + "\(chosen) chosen \(rules.batch) at a time by \(rules.strategy.rawValue) as simulations finish (parents "
                + "by their training \(rules.signal.rawValue); \(percent(rules.exploration[0])) → "
                + "\(percent(rules.exploration[1])) space-filling; steps of \(percent(rules.mutation[0])) → "
                + "\(percent(rules.mutation[1])) of each range)"
        }
    }

    static func describe(_ resources: Resources, tasks: Int) -> String {
        var parts = [
            counted(resources.nodes, "node"),
            "\(counted(tasks, "task")) × \(resources.cpusPerTask) CPU",
        ]
        if let memory = resources.memoryMiB {
            parts.append(memory % 1024 == 0 ? "\(memory / 1024) GiB" : "\(memory) MiB")
        }
        if resources.gpus > 0 { parts.append("\(resources.gpus) GPU/node") }
        parts.append("walltime \(resources.walltime)")
        return parts.joined(separator: ", ")
    }

    static func bytes(_ count: Double) -> String {
        let units = ["B", "KB", "MB", "GB", "TB", "PB"]
        var value = count
        var index = 0
        while value >= 1000, index < units.count - 1 {
            value /= 1000
            index += 1
        }
        return String(format: index == 0 ? "%.0f %@" : "%.1f %@", value, units[index])
    }
}
