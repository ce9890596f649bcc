import Foundation
import PlanModel
import StudySpec

/// The `#SBATCH` options of a job, each one token that sbatch's directive parser reads back exactly.
enum SlurmDirectives {
    /// Characters that need no quoting in a directive.
    private static let plain = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.,:=/+@%-[]")

    /// `--option=value`, the value in double quotes when it holds anything but plain characters
    /// (sbatch reads `"…"` with `\"` and `\\` inside; unquoted, `#` starts a comment and blanks end the token).
    static func option(_ name: String, _ value: String) throws -> String {
        guard !value.isEmpty, !value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw PlanningError.unsafeDirective(option: name, value: value)
        }
        if value.allSatisfy(plain.contains) { return "\(name)=\(value)" }
        var quoted = "\""
        for character in value {
            if character == "\"" || character == "\\" { quoted.append("\\") }
            quoted.append(character)
        }
        return "\(name)=\(quoted)\""
    }

    /// A path for `--output`/`--error`: `%` doubled so that Slurm does not expand it, then `pattern` appended.
    static func logPath(_ directory: String, _ pattern: String) -> String {
        directory.replacingOccurrences(of: "%", with: "%%") + "/" + pattern
    }

    /// A scheduler option value from the study (partition, account…): one word of plain characters.
    static func word(_ name: String, _ value: String) throws -> String {
        guard !value.isEmpty, value.allSatisfy(plain.contains) else {
            throw PlanningError.unsafeDirective(option: name, value: value)
        }
        return "\(name)=\(value)"
    }

    /// The directives of each component of a study's single allocation (one list per component; a heterogeneous
    /// job's are separated by `#SBATCH hetjob` in its script). The first carries what concerns the whole job: its
    /// name, its output, the walltime warning, the environment. Memory goes per CPU: `--mem` would carry over from
    /// one component to the next.
    static func allocationDirectives(
        _ allocation: AllocationPlan, logsDirectory: String, warningSeconds: Int
    ) throws -> [[String]] {
        var lists: [[String]] = []
        for (index, component) in allocation.components.enumerated() {
            var lines: [String] = []
            if index == 0 {
                let pattern = allocation.jobName + "-%j"
                lines += [
                    try word("--job-name", allocation.jobName),
                    try option("--output", logPath(logsDirectory, pattern + ".out")),
                    try option("--error", logPath(logsDirectory, pattern + ".err")),
                    "--open-mode=append",
                ]
            }
            let nodes =
                component.minimumNodes == component.maximumNodes
                ? "\(component.minimumNodes)" : "\(component.minimumNodes)-\(component.maximumNodes)"
            lines += ["--nodes=\(nodes)", "--ntasks=\(component.tasks)", "--cpus-per-task=\(component.cpusPerTask)"]
            if let memory = component.memoryPerCpuMib { lines.append("--mem-per-cpu=\(memory)M") }
            lines.append("--time=\(allocation.walltime.description)")
            lines += try named(component.slurm)
            if component.gpus > 0, component.slurm.gres == nil { lines.append("--gpus-per-node=\(component.gpus)") }
            if index == 0 {
                lines.append("--signal=B:USR1@\(warningSeconds)")
                lines.append("--export=ALL")
            }
            lines += try extra(component.slurm.directives)
            lists.append(lines)
        }
        return lists
    }

    /// `--partition`… `--gres`, those the options give.
    private static func named(_ options: SlurmJobOptions) throws -> [String] {
        let named: [(String, String?)] = [
            ("--partition", options.partition),
            ("--account", options.account),
            ("--qos", options.qos),
            ("--constraint", options.constraint),
            ("--reservation", options.reservation),
            ("--gres", options.gres),
        ]
        var lines: [String] = []
        for case (let name, let value?) in named { lines.append(try option(name, value)) }
        return lines
    }

    /// The study's extra directives, each one line.
    private static func extra(_ directives: [String]) throws -> [String] {
        try directives.map { directive in
            let trimmed = directive.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !trimmed.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
            else {
                throw PlanningError.unsafeDirective(option: "directives", value: directive)
            }
            return trimmed
        }
    }

    /// Every directive of a job.
    static func directives(
        jobName: String,
        logsDirectory: String,
        logPattern: String,
        resources: Resources,
        options: SlurmJobOptions,
        warningSeconds: Int,
        array: String?
    ) throws -> [String] {
        var lines = [
            try word("--job-name", jobName),
            try option("--output", logPath(logsDirectory, logPattern + ".out")),
            try option("--error", logPath(logsDirectory, logPattern + ".err")),
            "--open-mode=append",
            "--nodes=\(resources.nodes)",
            "--ntasks=\(resources.tasks)",
            "--cpus-per-task=\(resources.cpusPerTask)",
        ]
        if let memory = resources.memoryMiB { lines.append("--mem=\(memory)M") }
        lines.append("--time=\(resources.walltime.description)")
        lines += try named(options)
        if resources.gpus > 0, options.gres == nil { lines.append("--gpus-per-node=\(resources.gpus)") }
        lines.append("--signal=B:USR1@\(warningSeconds)")
        lines.append("--export=ALL")
        if let array { lines.append("--array=\(array)") }
        lines += try extra(options.directives)
        return lines
    }
}
