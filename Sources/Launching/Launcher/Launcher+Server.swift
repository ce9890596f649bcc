import Foundation

/// The server: waiting for its address, the heartbeat, what its status asks for (silent simulations, the elastic
/// window), reconciling after a restart, and restarting it when it dies.
extension Launcher {
    func serverChanged(_ job: TrackedJob, lost: Bool) async throws {
        guard job.id == serverLife.job else { return }
        if job.state == .completed {
            serverLife.finished()
            return
        }
        guard job.state.isFinished || lost else { return }
        if job.cancelReason == .stopping { return }
        try await serverDied("its job ended: \(job.state.code)")
    }

    func watchServer() async throws {
        guard !serverLife.isDone, let serverJob = serverLife.job, let job = tracked[serverJob], !job.state.isFinished
        else { return }
        guard serverLife.address != nil else {
            try await lookForAddress()
            return
        }
        guard let address = serverLife.pingDue(at: Date(), every: options.heartbeatInterval) else { return }
        do {
            let status = try await server.ping(address, timeout: max(1, min(options.heartbeatInterval, 3)))
            serverLife.heard(status, at: Date())
            try await react(to: status)
        } catch {
            serverLife.missedPing()
            let now = Date()
            if serverLife.isSilentTooLong(at: now, every: options.heartbeatInterval) {
                let quiet = Int(serverLife.silence(at: now))
                try await serverDied("no status for \(quiet) s, \(serverLife.missedPings) pings unanswered")
            }
        }
    }

    /// The starting server listens once it published its address (it hears then of the simulations given up);
    /// one that takes longer than ``LauncherOptions/serverStartTimeout`` is a failed start.
    private func lookForAddress() async throws {
        if let found = server.serverAddress(inStudyDirectory: plan.studyDirectory) {
            serverLife.listened(at: found, time: Date())
            try journal.recordDecision(kind: "listening", message: "the server listens at \(found.control)")
            event("the server listens (\(found.registration))")
            for id in simulations.keys { simulations[id]?.serverToldGivenUp = false }
            await tellGivenUp()
        } else if let since = serverLife.startingSince, Date().timeIntervalSince(since) > options.serverStartTimeout {
            throw LauncherError.serverDidNotListen(seconds: options.serverStartTimeout, logs: plan.logsDirectory)
        }
    }

    private func react(to status: ServerStatus) async throws {
        if serverLife.takeReconcile() { try reconcile(with: status) }
        try await settleExited(with: status)
        try await cancelNeverConnected(given: status)
        let timeout = Double(plan.simulation.timeoutSeconds)
        for (simulation, seconds) in status.silent.sorted(by: { $0.key < $1.key }) where seconds > timeout {
            for (id, job) in tracked
            where job.simulationID == simulation && job.isActive && job.cancelReason == nil {
                tracked[id]?.cancelReason = .silent
                try journal.recordDecision(
                    kind: "silent", message: "simulation \(simulation) silent for \(Int(seconds)) s: cancelled",
                    simulationID: simulation)
                event("simulation \(simulation) silent for \(Int(seconds)) s: cancelling job \(id)")
                try await cancel([id])
            }
        }
        if let change = elasticity.window(after: status, current: window) {
            window = change.window
            try journal.recordDecision(kind: "throttle", message: "window \(window): \(change.reason)")
            event("window \(window): \(change.reason)")
            try await applyWindow()
        }
    }

    /// A simulation's registration deadline: a job running for longer than `simulation.timeout` whose simulation the
    /// server has never heard of (neither running nor finished) is cancelled as silent and retried like a crash (a
    /// command that hangs before it connects, or that never links the client).
    private func cancelNeverConnected(given status: ServerStatus) async throws {
        let timeout = Double(plan.simulation.timeoutSeconds)
        let known = Set(status.running).union(status.finished).union(status.silent.keys).union(status.incomplete)
        let now = Date()
        // The few that qualify, in id order (sorting every running job at every ping would cost more than the rest).
        var silent: [(id: JobID, simulation: Int, since: Date)] = []
        for (id, job) in tracked where job.isActive && job.state == .running {
            guard let simulation = job.simulationID, job.cancelReason == nil,
                let since = job.runningSince, now.timeIntervalSince(since) > timeout, !known.contains(simulation)
            else { continue }
            silent.append((id, simulation, since))
        }
        for (id, simulation, since) in silent.sorted(by: { $0.id < $1.id }) {
            tracked[id]?.cancelReason = .silent
            let seconds = Int(now.timeIntervalSince(since))
            try journal.recordDecision(
                kind: "silent",
                message: "simulation \(simulation) has run \(seconds) s without connecting to the server "
                    + "(simulation.timeout: \(Int(timeout)) s): cancelled",
                simulationID: simulation)
            event("simulation \(simulation) never connected within \(Int(timeout)) s: cancelling job \(id)")
            try await cancel([id])
        }
    }

    /// After a restart from a checkpoint: a simulation that completed but whose steps the server does not all have
    /// (they arrived after its last checkpoint) runs again; the server drops the steps it already has. One the server
    /// has finished but whose job the launcher never saw complete (it was stopped, by a pause or the server's death,
    /// between its last step and its exit) is done: the server would refuse it as already finished.
    private func reconcile(with status: ServerStatus) throws {
        let finished = Set(status.finished)
        let inFlight = Set(tracked.values.filter(\.isActive).compactMap(\.simulationID))
        let completed = simulationIDs(where: \.isCompleted)
        let givenUp = simulationIDs(where: \.isGivenUp)
        let delivered = finished.subtracting(completed).subtracting(inFlight).subtracting(givenUp).sorted()
        for simulation in delivered where simulation < plan.simulations.count {
            simulations[simulation, default: SimulationRecord()].isCompleted = true
            queue.removeAll { $0 == simulation }
            // Its last job delivered everything: the journal says so (a later resume counts it done).
            if let last = try journal.jobs(simulationID: simulation).last, last.state != .completed {
                try journal.record([
                    JobStatus(
                        id: last.schedulerID, state: .completed, word: "the restarted server has all its steps")
                ])
                tracked[last.schedulerID]?.state = .completed
            }
            try journal.recordDecision(
                kind: "delivered",
                message:
                    "simulation \(simulation): the restarted server has all its steps (before its checkpoint): done",
                simulationID: simulation)
        }
        if !delivered.isEmpty {
            event("the restarted server has all the steps of \(delivered.count) simulation(s) not seen done: done")
        }
        let lost = completed.subtracting(finished).subtracting(inFlight).subtracting(givenUp).sorted()
        guard !lost.isEmpty else { return }
        for simulation in lost {
            simulations[simulation]?.isCompleted = false
            if !queue.contains(simulation) { queue.append(simulation) }
            try journal.recordDecision(
                kind: "data-lost",
                message:
                    "simulation \(simulation) completed, but the restarted server lacks some of its steps: running it again",
                simulationID: simulation)
        }
        event("the restarted server lacks steps of \(lost.count) completed simulation(s): running them again")
    }

    /// Sets the scheduler's throttle to the window (``SchedulerAdapter/windowThrottle``).
    private func applyWindow() async throws {
        switch adapter.windowThrottle {
        case .adapterWide:
            // The server's job counts against the adapter's limit too.
            if let serverJob = serverLife.job { try await adapter.updateThrottle(of: serverJob, to: window + 1) }
        case .perArray:
            let arrays = Set(tracked.values.filter { !$0.state.isFinished }.compactMap(\.array))
            for array in arrays.sorted() {
                do {
                    try await adapter.updateThrottle(of: array, to: window)
                } catch {
                    record(kind: "throttle-failed", "\(array): \(error)")
                }
            }
        }
    }

    private func serverDied(_ reason: String) async throws {
        guard serverLife.restarts < options.serverRestarts else {
            throw LauncherError.serverKeepsDying(restarts: serverLife.restarts, reason: reason)
        }
        guard let serverJob = serverLife.job, let job = tracked[serverJob] else { return }
        // A first server that ends before it ever listened is a broken set-up, not a crash (an adopted one, on a
        // resume, may have listened before this launcher started).
        if serverLife.address == nil, serverLife.restarts == 0, job.state.isFinished, !resumed {
            throw LauncherError.serverEnded(state: job.state, logs: plan.logsDirectory, excerpt: serverLogExcerpt())
        }
        serverLife.countRestart()
        try journal.recordDecision(kind: "server-dead", message: "the server is dead (\(reason)): restarting it")
        event("the server is dead (\(reason)): restarting it from its checkpoint")
        if !job.state.isFinished {
            tracked[serverJob]?.cancelReason = .stopping
            try await cancel([serverJob])
        }
        let inFlight = tracked.values.filter { $0.simulationID != nil && !$0.state.isFinished }.map(\.id)
        for id in inFlight { tracked[id]?.cancelReason = .serverRestart }
        if !inFlight.isEmpty {
            try journal.recordDecision(
                kind: "server-dead", message: "cancelling \(inFlight.count) simulation job(s) in flight")
            try await cancel(inFlight)
        }
        let attempt = serverLife.nextAttempt()
        try journal.recordRetry(
            simulationID: nil, attempt: attempt, cause: job.state, spendsBudget: true, failedJob: job.rowID)
        try await submitServer(restart: true)
    }
}

extension Launcher {
    /// The last lines of the server's error log, and the fix when they show a known refusal (OpenMPI run as root).
    func serverLogExcerpt() -> String {
        let local = plan.logsDirectory + "/" + plan.server.name + ".err"
        let path =
            FileManager.default.fileExists(atPath: local)
            ? local : LogExcerpt.newestFile(in: plan.logsDirectory, prefix: plan.server.name + "-", suffix: ".err")
        guard let path else { return "" }
        return LogExcerpt.tail(ofFile: path, lines: 8).map { LogExcerpt.explained($0, file: path) } ?? ""
    }
}
