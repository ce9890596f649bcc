import Foundation

/// Parsers of what `sacct`, `squeue` and `scontrol` print, each into ``JobStatus``es. Pure functions, so that
/// captured output can be tested without a cluster.
public enum SlurmOutput {
    /// The `sacct` fields the adapter asks for, in this order.
    public static let sacctFormat = "JobIdRaw,JobID,State,ExitCode,NodeList,Reason"
    /// The `squeue --Format` fields the adapter asks for, in this order (`exit_code` is a raw wait status).
    public static let squeueFormat =
        "JobID:|,ArrayJobID:|,ArrayTaskID:|,Name:|,State:|,Reason:|,NodeList:|,exit_code:|"

    /// Whether `sacct` said it cannot answer because accounting is off (it exits 0 all the same).
    public static func accountingDisabled(_ text: String) -> Bool {
        text.lowercased().contains("accounting storage is disabled")
    }

    /// Parses `sacct -X --parsable2 --noheader --format=<sacctFormat>`: one line per job or array record.
    /// Lines that are not job records (warnings) are skipped.
    public static func sacct(_ text: String) -> [JobStatus] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let fields = line.split(separator: "|", omittingEmptySubsequences: false)
            guard fields.count >= 4, let id = JobID(fields[1]) else { return nil }
            let exit = ExitStatus(slurm: fields[3])
            let nodes = fields.count > 4 ? nonEmpty(fields[4]) : nil
            let reason = fields.count > 5 ? nonEmpty(fields[5...].joined(separator: "|")) : nil
            return JobStatus(
                id: id, state: SlurmState.neutral(word: fields[2], exit: exit), word: String(fields[2]),
                exitStatus: exit, nodeList: nodes == "None assigned" ? nil : nodes, reason: reason)
        }
    }

    /// Parses `sacct --parsable2 --noheader --format=JobID,State[,…]` (jobs with their steps: `7`, `7.batch`, `12_3.0`)
    /// into the jobs one of whose steps ran out of memory, each with that step's name (`batch`, `0`).
    public static func outOfMemorySteps(_ text: String) -> [JobID: String] {
        var found: [JobID: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: "|", omittingEmptySubsequences: false)
            guard fields.count >= 2, let dot = fields[0].firstIndex(of: "."),
                let job = JobID(fields[0][..<dot]),
                SlurmState.neutral(word: fields[1]) == .outOfMemory
            else { continue }
            found[job] = found[job] ?? String(fields[0][fields[0].index(after: dot)...])
        }
        return found
    }

    /// When each job (not step) in `sacct --parsable2 --noheader --format=JobID,State,End` output ended; jobs
    /// accounting has no end for (`Unknown`) are left out.
    public static func endTimes(_ text: String) -> [JobID: Date] {
        var ends: [JobID: Date] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: "|", omittingEmptySubsequences: false)
            guard fields.count >= 3, !fields[0].contains("."), let job = JobID(fields[0]),
                let end = SlurmAdapter.slurmDate(fields[2])
            else { continue }
            ends[job] = end
        }
        return ends
    }

    /// The jobs in `sacct --parsable2 --noheader --format=JobID,State[,…]` output (jobs with their steps) one of
    /// whose steps accounting still has pending or running.
    public static func unsettledSteps(_ text: String) -> Set<JobID> {
        var found: Set<JobID> = []
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: "|", omittingEmptySubsequences: false)
            guard fields.count >= 2, let dot = fields[0].firstIndex(of: "."), let job = JobID(fields[0][..<dot]),
                SlurmState.neutral(word: fields[1]).isLive
            else { continue }
            found.insert(job)
        }
        return found
    }

    /// Parses `squeue --noheader --Format=<squeueFormat>` (with `--array`, each task on its own line; without,
    /// a pending array record's ArrayTaskID is a range such as `3-5%1`).
    public static func squeue(_ text: String) -> [JobStatus] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let fields = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingSpaces }
            guard fields.count >= 8, let raw = Int(fields[0]) else { return nil }
            var id = JobID(job: raw)
            if fields[2] != "N/A", let array = Int(fields[1]) {
                if let task = Int(fields[2]) {
                    id = JobID(job: array, arrayTask: task)
                } else if let tasks = ArrayTaskSet(fields[2]) {
                    id = JobID(job: array, arrayTasks: tasks)
                }
            }
            let state = SlurmState.neutral(word: fields[4])
            var exit: ExitStatus?
            if let wait = Int32(fields[7]), state.isFinished { exit = ExitStatus(waitStatus: wait) }
            return JobStatus(
                id: id, name: nonEmpty(fields[3]), state: SlurmState.neutral(word: fields[4], exit: exit),
                word: String(fields[4]), exitStatus: exit, nodeList: nonEmpty(fields[6]), reason: nonEmpty(fields[5]))
        }
    }

    /// Parses `scontrol --oneliner show job`: one dictionary of `Key=Value` per line.
    public static func scontrolRecords(_ text: String) -> [[String: String]] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            var record: [String: String] = [:]
            for word in line.split(separator: " ") {
                let pair = word.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard pair.count == 2 else { continue }
                record[String(pair[0])] = String(pair[1])
            }
            return record["JobId"] == nil ? nil : record
        }
    }

    /// The status of one `scontrol show job` record.
    public static func scontrolStatus(_ record: [String: String]) -> JobStatus? {
        guard let raw = record["JobId"].flatMap({ Int($0) }) else { return nil }
        var id = JobID(job: raw)
        if let array = record["ArrayJobId"].flatMap({ Int($0) }), let task = record["ArrayTaskId"] {
            if let index = Int(task) {
                id = JobID(job: array, arrayTask: index)
            } else if let tasks = ArrayTaskSet(task) {
                id = JobID(job: array, arrayTasks: tasks)
            }
        } else if let het = record["HetJobId"].flatMap({ Int($0) }),
            let offset = record["HetJobOffset"].flatMap({ Int($0) })
        {
            id = JobID(job: het, component: offset)
        }
        let word = record["JobState"] ?? ""
        let exit = record["ExitCode"].flatMap { ExitStatus(slurm: $0) }
        return JobStatus(
            id: id, name: record["JobName"], state: SlurmState.neutral(word: word, exit: exit), word: word,
            exitStatus: exit, nodeList: record["NodeList"].flatMap { nonEmpty(Substring($0)) },
            reason: record["Reason"].flatMap { nonEmpty(Substring($0)) })
    }

    private static func nonEmpty(_ text: some StringProtocol) -> String? {
        let trimmed = Substring(text).trimmingSpaces
        return trimmed.isEmpty || trimmed == "(null)" ? nil : String(trimmed)
    }
}
