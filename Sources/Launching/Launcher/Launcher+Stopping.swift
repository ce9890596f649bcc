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
                if let group = job.adoptedGroup { await group.terminate(grace: options.gracePeriod) }
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

    /// Polls until `jobs` are over (bounded by the grace period plus 30 s).
    private func settle(_ jobs: [JobID]) async throws {
        let deadline = Date().addingTimeInterval(options.gracePeriod + 30)
        while Date() < deadline, jobs.contains(where: { tracked[$0]?.state.isLive == true }) {
            try await poll()
            if jobs.contains(where: { tracked[$0]?.state.isLive == true }) {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }
}
