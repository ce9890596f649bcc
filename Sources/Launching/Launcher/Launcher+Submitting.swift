import Foundation
import PlanModel
import Planning

/// Submitting the server and the simulations, within the window.
extension Launcher {
    func submitServer(restart: Bool) async throws {
        // The previous server's address, if any, is stale (none is the usual case on a first start).
        try? FileManager.default.removeItem(atPath: plan.serverAddressFile)
        ServerEnding.remove(fromStudy: plan.studyDirectory)
        let request = SubmissionRequest.server(of: plan, attempt: serverLife.attempt, restart: restart)
        let id = try await adapter.submit(request)
        let jobs = try journal.recordSubmission(request, as: id)
        for job in jobs {
            tracked[job.schedulerID] = TrackedJob(
                id: job.schedulerID, rowID: job.rowID, simulationID: nil, attempt: job.attempt)
        }
        serverLife.submitted(id, at: Date(), restart: restart)
        await recordProcessGroup(of: id)
        event("submitted the server as job \(id)" + (restart ? " (restart from its checkpoint)" : ""))
    }

    /// Simulations with a live job.
    func inFlightCount() -> Int {
        var simulations = Set<Int>()
        for job in tracked.values where job.isActive {
            if let simulation = job.simulationID { simulations.insert(simulation) }
        }
        return simulations.count
    }

    func fillWindow() async throws {
        // With workers, the window counts workers; each takes simulations from the queue itself (Launcher+Workers).
        if plan.workers != nil {
            try await fillWorkers()
            return
        }
        // An adaptive study's arrays go one batch at a time, once chosen.
        if adapter.submitsArrays(plan), !arraysSubmitted || plan.adaptive != nil {
            arraysSubmitted = true
            try await submitArrays()
        }
        // Counted once, then one more per submission (a queued simulation has no live job): filling a window of
        // 10,000 does not count 10,000 times.
        var inFlight = inFlightCount()
        while inFlight < window, let index = queue.firstIndex(where: isChosen) {
            let simulation = queue.remove(at: index)
            try await submitSimulation(simulation)
            inFlight += 1
        }
    }

    /// Every array chunk none of whose simulations ran yet, throttled to the window.
    private func submitArrays() async throws {
        let fresh = Set(queue.filter(isChosen))
        for chunk in plan.scripts.arrays
        where !submittedChunks.contains(chunk.first)
            && (chunk.first..<(chunk.first + chunk.count)).allSatisfy(fresh.contains)
        {
            submittedChunks.insert(chunk.first)
            let request = SubmissionRequest.simulations(chunk, of: plan, throttle: window)
            let id = try await adapter.submit(request)
            for job in try journal.recordSubmission(request, as: id) {
                var entry = TrackedJob(
                    id: job.schedulerID, rowID: job.rowID, simulationID: job.simulationID, attempt: job.attempt)
                entry.array = id
                tracked[job.schedulerID] = entry
                if let simulation = job.simulationID {
                    simulations[simulation, default: SimulationRecord()].nextAttempt = 1
                }
            }
            queue.removeAll { $0 >= chunk.first && $0 < chunk.first + chunk.count }
            event("submitted simulations \(chunk.first)…\(chunk.first + chunk.count - 1) as array \(id) (%\(window))")
        }
    }

    private func submitSimulation(_ simulation: Int) async throws {
        let record = simulations[simulation, default: SimulationRecord()]
        let attempt = record.nextAttempt
        var request = adapter.simulationRequest(simulation, of: plan, attempt: attempt)
        request.memoryMiB = record.memoryMiB
        request.excludedNodes = record.excludedNodes
        let id = try await adapter.submit(request)
        for job in try journal.recordSubmission(request, as: id) {
            var entry = TrackedJob(
                id: job.schedulerID, rowID: job.rowID, simulationID: simulation, attempt: attempt)
            entry.memoryMiB = request.memoryMiB
            entry.excludedNodes = request.excludedNodes
            tracked[job.schedulerID] = entry
        }
        simulations[simulation, default: SimulationRecord()].nextAttempt = attempt + 1
        await recordProcessGroup(of: id)
        event("submitted simulation \(simulation) (attempt \(attempt)) as job \(id)")
    }

    /// Records at once the process group of a job that started (a launcher killed right after has it), for the
    /// adapters that run jobs in process groups.
    func recordProcessGroup(of id: JobID) async {
        guard let group = await adapter.processGroup(of: id) else { return }
        recordProcessGroup(group, of: id)
    }

    /// Records `group` as the process group of job `id`, once; a journal that cannot take it is reported as an
    /// event (a resumed launcher then judges the job by the server's view alone).
    func recordProcessGroup(_ group: ProcessGroup, of id: JobID) {
        do {
            try journal.recordProcessGroup(group.id, of: id)
        } catch {
            event("cannot record the process group of job \(id) in the journal: \(error)")
        }
        tracked[id]?.groupRecorded = true
    }
}
