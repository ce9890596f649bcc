import Foundation

/// Cancelling jobs: one at a time (silent simulations, a dead server), what is left once the server is done, and
/// everything when the study is cancelled.
extension Launcher {
    /// Cancels `ids`: through the adapter, or through its process group for a job an earlier launcher started.
    func cancel(_ ids: [JobID]) async throws {
        var throughAdapter: [JobID] = []
        var runs: [JobID] = []
        for id in ids {
            if tracked[id]?.isRun == true {
                // No job of the scheduler's: its worker stops it (Launcher+Workers).
                runs.append(id)
            } else if let job = tracked[id], job.isWatchedByGroup {
                // Inside a single allocation, through the job's script (the server checkpoints).
                if let group = job.adoptedGroup {
                    await group.terminate(grace: options.stopGrace(for: plan), leaderFirst: plan.allocation != nil)
                }
            } else {
                throughAdapter.append(id)
            }
        }
        if !throughAdapter.isEmpty { try await adapter.cancel(throughAdapter) }
        if !runs.isEmpty { try await cancelRuns(runs) }
    }

    func stopLeftovers() async throws {
        let live = tracked.values.filter { !$0.state.isFinished }.map(\.id)
        for id in live { tracked[id]?.cancelReason = .stopping }
        if !live.isEmpty { try await cancel(live) }
        try await settle(live)
    }

    func cancelEverything() async throws {
        cancelRequested = true
        let live = tracked.values.filter { !$0.state.isFinished }.map(\.id)
        for id in live { tracked[id]?.cancelReason = .stopping }
        try journal.recordDecision(kind: "cancel", message: "cancelling \(live.count) live job(s) on request")
        event("cancelling \(live.count) live job(s)")
        try await cancel(live)
        try await settle(live)
        // Done with: a cancel file that cannot be removed is only noticed again by a later launch, which removes it.
        try? FileManager.default.removeItem(atPath: plan.studyDirectory + "/" + Self.cancelFileName)
    }

    /// The decision kind that records a pause (``Launcher/requestPause()``): the study is resumable.
    public static let pauseKind = "pause"

    /// Stops every job so that the study resumes later: the server through its script (it checkpoints), the
    /// simulations in flight as if for a server restart (they run again on the resume without spending their budget).
    func pauseEverything() async throws {
        let live = tracked.values.filter { !$0.state.isFinished }
        for job in live {
            tracked[job.id]?.cancelReason = job.simulationID == nil ? .stopping : .serverRestart
        }
        let resume =
            plan.allocation.map { "sbatch \(plan.studyDirectory)/\($0.script)" }
            ?? "melissa launch \(plan.studyDirectory) --resume"
        try journal.recordDecision(
            kind: Self.pauseKind,
            message: "the study pauses (the end of its allocation, or a stop signal): the server checkpoints, "
                + "\(live.count) live job(s) stop; resumable: \(resume)")
        event("pausing: the server checkpoints, \(live.count) live job(s) stop; `\(resume)` resumes the study")
        let ids = live.map(\.id)
        if !ids.isEmpty { try await cancel(ids) }
        // The server's checkpoint may take the whole stop grace: the launcher must not end the allocation before.
        try await settle(ids, within: options.stopGrace(for: plan) + 30)
    }

    /// Polls until `jobs` are over (bounded by `seconds`, by default the grace period plus 30 s).
    private func settle(_ jobs: [JobID], within seconds: Double? = nil) async throws {
        let deadline = Date().addingTimeInterval(seconds ?? options.gracePeriod + 30)
        while Date() < deadline, jobs.contains(where: { tracked[$0]?.state.isLive == true }) {
            try await poll()
            if jobs.contains(where: { tracked[$0]?.state.isLive == true }) {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }
}
