import Foundation
import StudySpec

/// The one-screen description of a study that `melissa validate` prints.
struct StudySummary {
    let loaded: LoadedStudy

    init(_ loaded: LoadedStudy) {
        self.loaded = loaded
    }

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
        row(
            "model",
            "MLP \(layers.joined(separator: " → ")) (\(training.model.activation.rawValue)), "
                + "\(training.optimizer.kind.rawValue) lr \(training.optimizer.learningRate), batch \(training.batchSize)"
        )
        row(
            "training",
            "\(training.ranks) rank\(training.ranks == 1 ? "" : "s") × \(training.threads) thread"
                + "\(training.threads == 1 ? "" : "s"), checkpoint every \(training.checkpointEveryBatches) batches")
        let execution = study.execution
        row(
            "execution",
            "\(execution.scheduler.rawValue), \(execution.concurrency.min)–\(execution.concurrency.max) simulations at once"
                + (execution.slurm.map { ", \($0.packing.rawValue) packing, MPI by \($0.launcher.rawValue)" } ?? ""))
        if simulation.fields.allSatisfy({ $0.size != nil }) {
            let values = simulation.fields.reduce(0) { $0 + ($1.size ?? 0) }
            let simulations = study.sampler.count + validation.simulations
            let bytes = Double(simulations) * Double(simulation.timeSteps) * Double(values) * 4
            row("data", "\(Self.bytes(bytes)) streamed as float32 (\(simulations) simulations); none written to disk")
        }
        return lines.joined(separator: "\n")
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
