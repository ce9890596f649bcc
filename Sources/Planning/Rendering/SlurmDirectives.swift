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
        let named: [(String, String?)] = [
            ("--partition", options.partition),
            ("--account", options.account),
            ("--qos", options.qos),
            ("--constraint", options.constraint),
            ("--reservation", options.reservation),
            ("--gres", options.gres),
        ]
        for case (let name, let value?) in named { lines.append(try option(name, value)) }
        if resources.gpus > 0, options.gres == nil { lines.append("--gpus-per-node=\(resources.gpus)") }
        lines.append("--signal=B:USR1@\(warningSeconds)")
        lines.append("--export=ALL")
        if let array { lines.append("--array=\(array)") }
        for directive in options.directives {
            let trimmed = directive.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !trimmed.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
            else {
                throw PlanningError.unsafeDirective(option: "directives", value: directive)
            }
            lines.append(trimmed)
        }
        return lines
    }
}
