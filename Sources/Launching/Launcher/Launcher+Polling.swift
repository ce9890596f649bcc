import Foundation
import PlanModel

/// One poll: every watched job's state, in one scheduler query, into the journal and the jobs' records; with workers,
/// their reports first (a worker's last word before its job ends is heard before the end), and their silence.
extension Launcher {
    func poll() async throws {
        try await serveWorkers()
        try await pollJobs()
        if workerChannel != nil { try await checkWorkers() }
    }

    private func pollJobs() async throws {
        // A job given over (lost, already acted on) is not watched again: its simulation was resubmitted. One pass,
        // ids only: a poll of 10,000 jobs copies no job record.
        var watchedIDs = Set<JobID>(minimumCapacity: tracked.count)
        var expected: [JobID] = []
        var adopted: [TrackedJob] = []
        expected.reserveCapacity(tracked.count)
        for (id, job) in tracked where !job.isGivenOver && (!job.state.isFinished || job.state == .preempted) {
            watchedIDs.insert(id)
            if job.isWatchedByGroup {
                adopted.append(job)
            } else if !job.isRun {
                // A worker's runs are no jobs of the scheduler's: their worker reports them.
                expected.append(id)
            }
        }
        guard var statuses = try await queryAdapter(expected: expected) else { return }
        var server: ServerStatus?
        var asked = false
        // Read once a poll, and only when jobs are watched by their groups (a resumed local study).
        let ending = adopted.isEmpty ? nil : ServerEnding.read(fromStudy: plan.studyDirectory)
        for job in adopted {
            statuses.append(await adoptedStatus(job, ending: ending, server: &server, asked: &asked))
        }
        // Only the jobs still watched: a job over is over (a later report, e.g. accounting catching up on its steps,
        // must not make it fail a second time). Only what changed goes to the journal (its rows say what the
        // launcher's records say) and is applied: a poll of 10,000 running jobs that stay running writes nothing.
        var changed: [JobStatus] = []
        for status in statuses where watchedIDs.contains(status.id) {
            guard let job = tracked[status.id] else { continue }
            if let group = status.processGroup, !job.groupRecorded { recordProcessGroup(group, of: status.id) }
            if !Self.isSteady(job, status) { changed.append(status) }
        }
        let changes = try journal.record(
            changed.filter { status in
                guard let job = tracked[status.id] else { return true }
                return job.state != status.state || (job.nodeList == nil && status.nodeList != nil)
            })
        for change in changes {
            event(
                "job \(change.job.schedulerID) \(Self.who(change.job)): \(change.from.code) -> "
                    + change.job.state.code + (change.job.word.map { " (\($0))" } ?? ""))
        }
        for status in changed { try await apply(status) }
    }

    /// Whether `status` leaves `job`'s record as it is (``apply(_:)`` would change nothing and act on nothing): the
    /// same state, no odd poll to count or reset, nothing new about where it runs or since when.
    static func isSteady(_ job: TrackedJob, _ status: JobStatus) -> Bool {
        job.state == status.state && job.oddPolls == 0 && status.state != .vanished && status.state != .preempted
            && (status.state != .running || job.runningSince != nil)
            && (status.nodeList == nil || status.nodeList == job.nodeList)
    }

    /// The adapter's statuses of the jobs `expected` (none asked when there are none); nil when the query failed
    /// (recorded; fatal after ``LauncherOptions/queryFailureLimit`` failures in a row).
    private func queryAdapter(expected: [JobID]) async throws -> [JobStatus]? {
        guard !expected.isEmpty else { return [] }
        do {
            let names = [plan.server.name, plan.simulationJobName] + (plan.workers.map { [$0.jobName] } ?? [])
            let statuses = try await adapter.query(JobQuery(names: names, since: since, expected: expected))
            queryFailures = 0
            return statuses
        } catch {
            queryFailures += 1
            record(kind: "query-failed", String(describing: error))
            if queryFailures >= options.queryFailureLimit {
                throw LauncherError.schedulerUnreachable(String(describing: error))
            }
            return nil
        }
    }

    /// Updates the job's record from `status` and acts on a change (or on a job lost for three polls).
    private func apply(_ status: JobStatus) async throws {
        guard var job = tracked[status.id] else { return }
        let changed = job.state != status.state
        if status.state == .running, job.runningSince == nil { job.runningSince = Date() }
        job.state = status.state
        job.nodeList = status.nodeList ?? job.nodeList
        if status.state == .vanished || status.state == .preempted {
            job.oddPolls += 1
        } else {
            job.oddPolls = 0
        }
        tracked[status.id] = job
        let lost = (status.state == .vanished || status.state == .preempted) && job.oddPolls == 3
        // Acted on once: a lost job no longer counts in flight (its simulation is queued again).
        if lost { job.isGivenOver = true }
        tracked[status.id] = job
        guard changed || lost else { return }
        if job.isWorker {
            try await workerChanged(job, lost: lost)
        } else if job.simulationID == nil {
            try await serverChanged(job, lost: lost)
        } else {
            try await simulationChanged(job, lost: lost)
        }
    }

    /// The state of a local job a previous launcher started, from its process group and the server's view.
    private func adoptedStatus(
        _ job: TrackedJob, ending: ServerEnding?, server: inout ServerStatus?, asked: inout Bool
    ) async -> JobStatus {
        let group = job.adoptedGroup
        if let group, group.isAlive {
            return JobStatus(id: job.id, state: .running, word: "running (adopted)")
        }
        if job.isWorker {
            // A worker told to leave that left ended well; any other end is unknown (its run is given over with it).
            let record = job.worker.flatMap { workers[$0] }
            if record?.exiting == true || record?.report?.state == .leaving {
                return JobStatus(id: job.id, state: .completed, word: "left when told to (adopted)")
            }
            return JobStatus(
                id: job.id, state: .failed(exitCode: -1, signal: nil), word: "gone (adopted; how it ended is unknown)")
        }
        // Ask the server (adopted too, perhaps not yet seen listening by this launcher) how the simulation ended;
        // once per poll.
        if !asked {
            asked = true
            // No answer (no server, or one not listening yet) leaves the last status known as the server's view.
            if let address = serverLife.address ?? self.server.serverAddress(inStudyDirectory: plan.studyDirectory),
                let status = try? await self.server.ping(address, timeout: 1)
            {
                serverLife.heard(status, at: Date())
                server = status
            }
        }
        // A server that ended well while no launcher watched left `server.done`: reception was over, every
        // simulation it was not told to give up had finished.
        var known = server ?? serverLife.lastStatus
        if server == nil, ending != nil {
            let givenUp = simulationIDs(where: \.isGivenUp)
            known = ServerStatus(
                finished: plan.simulations.map(\.id).filter { !givenUp.contains($0) }, receptionOver: true)
        }
        if let simulation = job.simulationID {
            if known?.finished.contains(simulation) == true {
                return JobStatus(id: job.id, state: .completed, word: "ended (the server has it finished)")
            }
            if group == nil, known?.running.contains(simulation) == true {
                return JobStatus(id: job.id, state: .running, word: "running (no process group known)")
            }
            return JobStatus(id: job.id, state: .vanished, word: "gone (the server does not have it finished)")
        }
        if let ending {
            return JobStatus(
                id: job.id, state: .completed, word: "ended well after \(ending.batches) batches (server.done)")
        }
        if known?.receptionOver == true {
            return JobStatus(id: job.id, state: .completed, word: "ended after reception was over")
        }
        return JobStatus(id: job.id, state: .failed(exitCode: -1, signal: nil), word: "ended (adopted)")
    }
}
