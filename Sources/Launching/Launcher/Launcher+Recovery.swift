import Foundation
import PlanModel
import Planning
import StudySpec

/// A simulation's job ended: completed, retried within its budget (free for faults that are not its own, with more
/// memory or away from a failing node), its parameters redrawn after `redraw_after` crashes, or given up.
extension Launcher {
    func simulationChanged(_ job: TrackedJob, lost: Bool) async throws {
        guard let simulation = job.simulationID else { return }
        if job.state == .completed {
            // Exit 0 is not enough: the server must have its data (a simulation that never connected, or finished
            // with steps missing, exits 0 too). Offline, the simulation wrote its data itself.
            if plan.isOffline || serverLife.lastStatus?.finished.contains(simulation) == true {
                simulations[simulation, default: SimulationRecord()].isCompleted = true
            } else if simulations[simulation, default: SimulationRecord()].isOpen {
                simulations[simulation, default: SimulationRecord()].exitedAt = Date()
                simulations[simulation, default: SimulationRecord()].exitedJob = job.id
            }
            return
        }
        guard job.state.isFinished || lost else { return }
        if job.state == .preempted && !lost { return }
        if job.state == .timedOut && job.cancelReason == nil {
            simulations[simulation, default: SimulationRecord()].walltimeKills += 1
        }
        let record = simulations[simulation, default: SimulationRecord()]
        if !record.isOpen || cancelRequested { return }
        let action = recovery.decide(
            job.state, cancelledFor: job.cancelReason, spent: record.retriesSpent, free: record.freeRetries,
            memoryMiB: job.memoryMiB, nodeList: job.nodeList, walltimeKills: record.walltimeKills)
        switch action {
        case .none:
            return
        case .giveUp:
            simulations[simulation, default: SimulationRecord()].isGivenUp = true
            let walltime =
                job.state == .timedOut
                ? "; it keeps hitting its walltime (\(record.walltimeKills) times, "
                    + "\(plan.simulation.resources.walltime.seconds) s): raise simulation.walltime" : ""
            try journal.recordDecision(
                kind: Journal.giveUpKind,
                message: "simulation \(simulation) given up after \(counted(record.retriesSpent, "retry", "retries")) "
                    + "(last: \(job.state.code)\(walltime))",
                simulationID: simulation)
            event(
                "gave up simulation \(simulation) after \(counted(record.retriesSpent, "retry", "retries"))\(walltime)")
            await tellGivenUp()
        case .retry(let spendsBudget, let memoryMiB, let node):
            try retry(job, simulation, spendsBudget: spendsBudget, memoryMiB: memoryMiB, excludeNode: node)
        }
    }

    /// Simulations whose job exited 0 are completed once the server has them finished; one the server lists
    /// incomplete (its attempt ended with steps missing) failed at once; one the server never heard of after a grace
    /// period (3 heartbeats, at least 2 s: it never connected), or still lacks after 12 heartbeats
    /// (at least 60 s: it ended without sending every step), failed: its job is recorded as failed in the journal
    /// and it is retried like a crash.
    func settleExited(with status: ServerStatus) async throws {
        let finished = Set(status.finished)
        let incomplete = Set(status.incomplete)
        let known = finished.union(status.running).union(incomplete)
        let now = Date()
        // Only those waiting (few), not every simulation, at each status.
        let waiting = simulations.filter { $0.value.isAwaitingData }.sorted { $0.key < $1.key }
        for (simulation, record) in waiting {
            guard let exitedAt = record.exitedAt, let jobID = record.exitedJob else { continue }
            if finished.contains(simulation) {
                simulations[simulation]?.exitedAt = nil
                simulations[simulation]?.isCompleted = true
                continue
            }
            let waited = now.timeIntervalSince(exitedAt)
            let reason: String
            if incomplete.contains(simulation) {
                // docs/protocol.md: its attempt ended (every rank sent `finish`) with steps missing.
                reason = "incomplete: it exited 0, but its attempt ended with steps missing on the server"
            } else if !known.contains(simulation), waited >= max(2, 3 * options.heartbeatInterval) {
                reason = "exited 0 without ever connecting to the server"
            } else if waited >= max(60, 12 * options.heartbeatInterval) {
                reason = "exited 0, but the server still lacks some of its steps after \(Int(waited)) s"
            } else {
                continue
            }
            simulations[simulation]?.exitedAt = nil
            simulations[simulation]?.exitedJob = nil
            guard var job = tracked[jobID] else { continue }
            job.state = .failed(exitCode: 0, signal: nil)
            tracked[jobID] = job
            try journal.record([JobStatus(id: jobID, state: job.state, word: reason)])
            try journal.recordDecision(
                kind: incomplete.contains(simulation) ? "incomplete" : "no-data",
                message: "simulation \(simulation) \(reason)", simulationID: simulation)
            event("simulation \(simulation) \(reason): it counts as failed")
            try await simulationChanged(job, lost: false)
        }
    }

    /// The server ended well (reception was over): every simulation whose job exited 0 is done.
    /// The server ended well, so every simulation still running had all its data and is ending: each gets two
    /// heartbeats (2 s at least) to exit on its own and count as done, before what is left is stopped (a loaded
    /// machine can run the server's last drain faster than a simulation's exit).
    func letSimulationsEnd() async throws {
        let deadline = Date().addingTimeInterval(max(2, 2 * options.heartbeatInterval))
        func ending() -> Bool {
            tracked.values.contains { $0.simulationID != nil && !$0.isRun && $0.state.isLive }
        }
        while Date() < deadline, ending() {
            await waitForChange(atMost: 0.2)
            try await poll()
        }
    }

    func settleExitedAtTheEnd() {
        for (simulation, record) in simulations where record.exitedAt != nil {
            simulations[simulation]?.exitedAt = nil
            simulations[simulation]?.isCompleted = true
        }
    }

    /// Queues `simulation` again, first, as its next attempt, with what the recovery policy changed.
    private func retry(
        _ job: TrackedJob, _ simulation: Int, spendsBudget: Bool, memoryMiB: Int?, excludeNode node: String?
    ) throws {
        let attempt = max(simulations[simulation, default: SimulationRecord()].nextAttempt, job.attempt + 1)
        simulations[simulation, default: SimulationRecord()].nextAttempt = attempt
        var redrawn = false
        if spendsBudget {
            simulations[simulation, default: SimulationRecord()].retriesSpent += 1
            redrawn = try redrawIfDue(simulation, attempt: attempt)
        } else {
            simulations[simulation, default: SimulationRecord()].freeRetries += 1
        }
        if let memoryMiB, memoryMiB != job.memoryMiB {
            simulations[simulation, default: SimulationRecord()].memoryMiB = memoryMiB
            try journal.recordDecision(
                kind: "memory", message: "simulation \(simulation) gets \(memoryMiB) MiB after running out",
                simulationID: simulation)
        }
        if let node {
            simulations[simulation, default: SimulationRecord()].excludedNodes.append(node)
            try journal.recordDecision(
                kind: "exclude-node", message: "simulation \(simulation) avoids \(node) after \(job.state.code)",
                simulationID: simulation)
        }
        try journal.recordRetry(
            simulationID: simulation, attempt: attempt, cause: job.state, spendsBudget: spendsBudget,
            redrawn: redrawn, failedJob: job.rowID)
        event("simulation \(simulation) will be retried as attempt \(attempt) after \(job.state.code)")
        queue.insert(simulation, at: 0)
    }

    /// After every `redraw_after` crashes a simulation's parameters are drawn anew from its role's sampler (the next
    /// point of the sequence, counted over the study's redraws of that role). The redraw table, `redraws.json`, is
    /// the record, written with the command lines the scripts run (``Planning/Plan/writeRedraws(_:)``) before the
    /// attempt is submitted; a simulation that cannot be redrawn (points from a file or a grid) is retried with the
    /// same parameters, and the journal says why.
    private func redrawIfDue(_ simulation: Int, attempt: Int) throws -> Bool {
        let after = plan.simulation.redrawAfter
        let spent = simulations[simulation, default: SimulationRecord()].retriesSpent
        guard after > 0, spent % after == 0, simulation < plan.simulations.count else { return false }
        let role = plan.simulations[simulation].role
        let draw = redraws.allEntries.count { plan.simulations[$0.simulation].role == role }
        let job: SimulationJob
        do {
            job = try plan.redraw(simulation: simulation, draw: draw)
        } catch {
            try journal.recordDecision(
                kind: "redraw", message: "\(error); simulation \(simulation) is retried with the same parameters",
                simulationID: simulation)
            if !redrawRefusalShown {
                redrawRefusalShown = true
                event("\(error); retrying with the same parameters")
            }
            return false
        }
        var table = redraws
        table.add(RedrawTable.Entry(simulation: simulation, fromAttempt: attempt, values: job.values))
        try plan.writeRedraws(table)
        redraws = table
        let named = zip(plan.parameters, job.values).map { "\($0.name)=\($1)" }.joined(separator: " ")
        try journal.recordDecision(
            kind: "redraw",
            message: "simulation \(simulation) crashed \(spent) times: parameters redrawn from attempt \(attempt): "
                + named,
            simulationID: simulation)
        event("simulation \(simulation): parameters redrawn after \(spent) crashes (\(named))")
        return true
    }

    /// The redraw table as earlier launches left it, its derived files written again from it (a launcher killed
    /// half-way leaves the table, which the server also reads, as the truth). A fresh launch starts from the plan's
    /// values: redraws left by an earlier study in the directory are removed.
    func restoreRedraws(fresh: Bool) throws {
        let directory = URL(fileURLWithPath: plan.studyDirectory, isDirectory: true)
        redraws = fresh ? RedrawTable() : try RedrawTable.read(from: directory, parameters: plan.parameters)
        try plan.writeRedraws(redraws)
    }

    /// Tells the listening server about every simulation given up that it has not heard of.
    func tellGivenUp() async {
        guard let address = serverLife.address else { return }
        let untold = simulationIDs { $0.isGivenUp && !$0.serverToldGivenUp }
        for simulation in untold.sorted() {
            // No answer: told again when the server next starts listening.
            if (try? await server.giveUp(simulation, at: address, timeout: max(2, options.heartbeatInterval))) != nil {
                simulations[simulation]?.serverToldGivenUp = true
            }
        }
    }
}
