import Foundation

/// The last lines of a job's log, for the message of a launch that failed, and the fix for refusals melissa
/// knows (docs/launching.md, "When a launch fails").
public enum LogExcerpt {
    /// The last `lines` non-empty lines of the file at `path`, nil when it is missing or empty (reads at most its
    /// last 64 KiB).
    public static func tail(ofFile path: String, lines: Int) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: size > 65_536 ? size - 65_536 : 0)
        let data = (try? handle.readToEnd()) ?? Data()
        let kept = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init).filter {
            !$0.trimmingCharacters(in: .whitespaces).isEmpty
        }
        guard !kept.isEmpty else { return nil }
        return kept.suffix(lines).joined(separator: "\n")
    }

    /// The newest file in `directory` whose name starts with `prefix` and ends with `suffix` (a Slurm job's log,
    /// named after its job id).
    public static func newestFile(in directory: String, prefix: String, suffix: String) -> String? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let paths = names.filter { $0.hasPrefix(prefix) && $0.hasSuffix(suffix) }.map { directory + "/" + $0 }
        func modified(_ path: String) -> Date {
            ((try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date) ?? .distantPast
        }
        return paths.max { modified($0) < modified($1) }
    }

    /// `excerpt`, indented under the file it comes from, with the fix first when it shows a refusal melissa
    /// recognises.
    public static func explained(_ excerpt: String, file: String) -> String {
        var text = ""
        if let fix = fix(for: excerpt) { text += "cause: " + fix + "\n" }
        text += "last lines of \(file):\n" + excerpt.split(separator: "\n").map { "  | " + $0 }.joined(separator: "\n")
        return text
    }

    /// The fix for a refusal in `log`, if melissa knows it.
    public static func fix(for log: String) -> String? {
        let lower = log.lowercased()
        if lower.contains("run as root") || lower.contains("--allow-run-as-root")
            || lower.contains("running as root")
        {
            return "OpenMPI refuses to run as root. Run as another user, or export OMPI_ALLOW_RUN_AS_ROOT=1 "
                + "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 before `melissa launch`, or add --allow-run-as-root to "
                + "execution.local.mpirun_arguments (docs/plan-format.md, \"Local\")"
        }
        if lower.contains("command not found") || lower.contains("no such file or directory") {
            return "a command or file the job runs does not exist (see the lines below); check simulation.command "
                + "and execution.setup in the study file"
        }
        return nil
    }
}
