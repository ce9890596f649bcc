import Foundation
import PlanModel
import StudySpec

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `melissa cancel`: stops every job of a study, from any shell.
///
/// A running launcher is told to stop through the `cancel` file in the study directory (it cancels its own jobs
/// through its adapter and exits); whatever is still live afterwards (no launcher, or one that did not answer in
/// time) is cancelled here: `scancel` for Slurm, SIGTERM then SIGKILL to the process group of a local job. Every
/// step is recorded in the journal.
public enum StudyCancellation {
    /// Cancels the study in `studyDirectory`; waits up to `wait` seconds for a running launcher to stop first.
    /// Returns whether a launcher was running and stopped, and how many jobs were cancelled here.
    public static func cancel(
        studyDirectory: String, wait: Double = 60, options: LauncherOptions = LauncherOptions()
    ) async throws -> (launcherStopped: Bool, cancelledHere: Int) {
        let journal = try Journal(studyDirectory: studyDirectory)
        let study = try journal.study()
        try journal.recordDecision(kind: "cancel-request", message: "melissa cancel asked the study to stop")
        // A study in one allocation: its launcher runs on the allocation's node, perhaps not this one; the study's
        // lock says whether it runs (across nodes where the file system supports flock).
        let allocated =
            (FileManager.default.contents(atPath: studyDirectory + "/plan.json")).flatMap {
                try? PlanWriter.decode($0)
            }?.allocation != nil
        let running = {
            allocated ? StudyLock.holder(ofStudy: studyDirectory) != nil : study.map(isRunning) ?? false
        }
        var stopped = false
        if running() {
            let file = studyDirectory + "/" + Launcher.cancelFileName
            _ = FileManager.default.createFile(atPath: file, contents: Data())
            let deadline = Date().addingTimeInterval(wait)
            while Date() < deadline, running() {
                try await Task.sleep(for: .milliseconds(100))
            }
            stopped = !running()
            // Read by no one once the launcher stopped (the next launch removes a leftover).
            try? FileManager.default.removeItem(atPath: file)
        }
        let live = try journal.liveJobs()
        if allocated {
            return try await cancelAllocation(journal: journal, live: live, stopped: stopped, options: options)
        }
        guard !live.isEmpty else { return (stopped, 0) }
        // Without a launcher, each job goes the way a resumed launcher would watch it: through the scheduler, or
        // through the process group a local job was recorded with.
        let scheduler = study.flatMap { ExecutionSpec.Scheduler(rawValue: $0.scheduler) } ?? .local
        let adapter = SchedulerAdapterFactory.adapter(for: scheduler, options: options)
        var throughAdapter: [JobID] = []
        for job in live {
            // A worker's run is no job of the scheduler's: cancelling its worker stops it; locally, the group it was
            // reported with goes too (a worker killed outright leaves it running).
            if job.isRun {
                if scheduler == .local, let group = job.processGroup, group > 0,
                    job.nodeList == nil || job.nodeList == ProcessInfo.processInfo.hostName
                {
                    await ProcessGroup(id: group).terminate(grace: options.gracePeriod)
                }
                continue
            }
            switch adapter.adoption(of: job) {
            case .processGroup(let group): await group?.terminate(grace: options.gracePeriod)
            case .scheduler: throughAdapter.append(job.schedulerID)
            }
        }
        if !throughAdapter.isEmpty { try await adapter.cancel(throughAdapter) }
        try journal.record(
            live.map { JobStatus(id: $0.schedulerID, state: .cancelled(by: nil), word: "cancelled by melissa cancel") })
        try journal.recordDecision(kind: "cancel", message: "melissa cancel cancelled \(live.count) live job(s)")
        return (stopped, live.count)
    }

    /// A single-allocation study whose launcher did not stop by itself (or whose journal still has live jobs): its
    /// latest allocation is cancelled with `scancel` (every step and the launcher end with it), its live jobs
    /// marked cancelled.
    private static func cancelAllocation(
        journal: Journal, live: [JournalJob], stopped: Bool, options: LauncherOptions
    ) async throws -> (launcherStopped: Bool, cancelledHere: Int) {
        guard !stopped || !live.isEmpty else { return (stopped, 0) }
        let latest = try journal.decisions(kind: Launcher.allocationKind).last
        if let job = latest?.split(separator: ":").first.map(String.init), Int(job) != nil {
            let adapter = SlurmAdapter(options: options.slurm)
            try await adapter.cancel([JobID(job: Int(job) ?? 0)])
            try journal.recordDecision(kind: "cancel", message: "melissa cancel cancelled Slurm allocation \(job)")
        }
        guard !live.isEmpty else { return (stopped, 0) }
        try journal.record(
            live.map { JobStatus(id: $0.schedulerID, state: .cancelled(by: nil), word: "cancelled by melissa cancel") })
        try journal.recordDecision(kind: "cancel", message: "melissa cancel cancelled \(live.count) live job(s)")
        return (stopped, live.count)
    }

    /// Whether the launcher that last wrote the journal still runs: its pid lives (and is no zombie) on this host.
    public static func isRunning(_ study: JournalStudy) -> Bool {
        guard let pid = study.launcherPID, study.launcherHost == ProcessInfo.processInfo.hostName,
            pid != Int(ProcessInfo.processInfo.processIdentifier)
        else { return false }
        guard kill(pid_t(pid), 0) == 0 else { return false }
        #if os(Linux)
            // A zombie (killed, not yet reaped) is not running; an unreadable stat leaves kill(0)'s answer.
            if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            {
                let state = stat[stat.index(after: close)...].split(separator: " ").first
                if state == "Z" || state == "X" { return false }
            }
        #endif
        return true
    }
}
