import Foundation
import PlanModel
import Planning

/// A fresh start or a resume: the journal's study row, what earlier launches did, the jobs they left running.
extension Launcher {
    func prepare() throws {
        // A leftover cancel file, if any, was meant for an earlier launcher (none is the usual case).
        try? FileManager.default.removeItem(atPath: plan.studyDirectory + "/" + Self.cancelFileName)
        let existing = try journal.study()
        let study = try journal.begin(
            JournalStudy(
                name: plan.studyName, planHash: planHash, scheduler: plan.scheduler.rawValue,
                simulationCount: plan.simulations.count, startedAt: Date(),
                launcherPID: Int(ProcessInfo.processInfo.processIdentifier),
                launcherHost: ProcessInfo.processInfo.hostName))
        guard study.planHash == planHash else { throw LauncherError.planChanged(studyDirectory: plan.studyDirectory) }
        since = study.startedAt
        if plan.allocation != nil, let allocation = SlurmAllocation(environment: ProcessInfo.processInfo.environment) {
            // First in the message: `melissa cancel` cancels this job when the launcher does not stop by itself.
            try journal.recordDecision(
                kind: Self.allocationKind,
                message: "\(allocation.jobID): launch \(study.launches) runs in Slurm allocation \(allocation.jobID)"
                    + (allocation.isHeterogeneous
                        ? " (components \(allocation.componentIDs.joined(separator: ", ")))" : ""))
        }
        // Workers (`execution.workers`) report to the launcher; new ones are numbered after the journal's.
        try openWorkerChannel()
        nextWorkerNumber = try journal.highestWorkerNumber() + 1
        try restoreRedraws(fresh: existing == nil)
        try restoreSimulations()
        try restoreProposals()
        var adopted: Set<Int> = []
        if existing != nil {
            adopted = try adoptLiveJobs(launch: study.launches)
            try recognizeEndedServer()
        }
        queue = Self.submissionOrder(plan).filter { simulations[$0, default: SimulationRecord()].isOpen }
            .filter { !adopted.contains($0) }
        // A server given up in an earlier launch must hear about them again.
        for id in simulations.keys { simulations[id]?.serverToldGivenUp = false }
    }

    /// The decision kind that records the Slurm allocation a launch of a single-allocation study runs in; its
    /// message starts with the allocation's job id.
    public static let allocationKind = "allocation"

    /// The order simulations are submitted in: the validation ones interleaved with the first training ones (v, t,
    /// v, t, …), so that the validation curve covers training from its first evaluation, then the other training
    /// ones, each in id order.
    static func submissionOrder(_ plan: Plan) -> [Int] {
        var validation = plan.simulations.filter { $0.role == .validation }.map(\.id)[...]
        var training = plan.simulations.filter { $0.role != .validation }.map(\.id)[...]
        var order: [Int] = []
        while let next = validation.popFirst() {
            order.append(next)
            if let other = training.popFirst() { order.append(other) }
        }
        return order + training
    }

    /// Each simulation's record as far as the journal keeps it.
    private func restoreSimulations() throws {
        for id in try journal.completedSimulations() { simulations[id, default: SimulationRecord()].isCompleted = true }
        for id in try journal.givenUpSimulations() { simulations[id, default: SimulationRecord()].isGivenUp = true }
        for (id, spent) in try journal.retriesSpent() {
            simulations[id, default: SimulationRecord()].retriesSpent = spent
        }
        for (id, attempt) in try journal.latestAttempts() {
            simulations[id, default: SimulationRecord()].nextAttempt = attempt + 1
        }
    }

    /// A server whose job the journal saw exit 0, and which left `server.done`, finished while no launcher was
    /// there to record the study's end: the study is over, every simulation not given up done.
    private func recognizeEndedServer() throws {
        guard serverLife.job == nil, let last = try journal.jobs(simulationID: nil).last, last.state == .completed,
            let ending = ServerEnding.read(fromStudy: plan.studyDirectory)
        else { return }
        tracked[last.schedulerID] = TrackedJob(
            id: last.schedulerID, rowID: last.rowID, simulationID: nil, attempt: last.attempt, state: .completed)
        serverLife.adopt(last.schedulerID, attempt: last.attempt, submittedAt: last.submittedAt)
        serverLife.finished()
        for simulation in plan.simulations.map(\.id)
        where !simulations[simulation, default: SimulationRecord()].isGivenUp {
            simulations[simulation, default: SimulationRecord()].isCompleted = true
        }
        record(kind: "server-ended", "the server ended well while no launcher watched (\(ending.batches) batches)")
    }

    /// Tracks the jobs the journal says are live, as the adapter says to watch them; returns the simulations they
    /// run.
    private func adoptLiveJobs(launch: Int) throws -> Set<Int> {
        var adopted: Set<Int> = []
        // Each worker's runs so far (its next run is numbered after them).
        var highestRuns: [Int: Int] = [:]
        if plan.workers != nil {
            for job in try journal.allJobs() where job.isRun {
                guard let number = job.worker, let run = job.schedulerID.run else { continue }
                highestRuns[number] = max(highestRuns[number] ?? 0, run)
            }
        }
        for job in try journal.liveJobs() {
            var entry = TrackedJob(
                id: job.schedulerID, rowID: job.rowID, simulationID: job.simulationID, attempt: job.attempt,
                state: job.state, nodeList: job.nodeList)
            entry.groupRecorded = job.processGroup != nil
            let adoption = adapter.adoption(of: job)
            switch adoption {
            case .processGroup: entry.adoption = adoption
            case .scheduler(let array): entry.array = array
            }
            if job.worker != nil { adoptWorkerJob(job, entry: &entry, highestRuns: highestRuns) }
            tracked[job.schedulerID] = entry
            if let simulation = job.simulationID {
                adopted.insert(simulation)
            } else if job.isServer {
                serverLife.adopt(job.schedulerID, attempt: job.attempt, submittedAt: job.submittedAt)
            }
        }
        arraysSubmitted = true
        resumed = true
        // A server that is not live any more is started again from its checkpoint, as a new attempt.
        serverLife.resume(
            serverJobsSoFar: try journal.jobs(simulationID: nil).count, restartsSoFar: try journal.serverRestarts())
        let (done, givenUp) = (completedCount, givenUpCount)
        try journal.recordDecision(
            kind: "resume",
            message: "launch \(launch): adopted \(tracked.count) live job(s); \(done) simulation(s) done, "
                + "\(givenUp) given up")
        event("resuming: adopted \(tracked.count) live job(s), \(done) simulation(s) already done")
        return adopted
    }
}
