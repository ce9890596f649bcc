/// The launcher's fault recovery by neutral state (docs/launching.md, "Faults and what the launcher does").
public struct RecoveryPolicy: Sendable, Hashable {
    /// Retries a simulation may spend (`simulation.retries`).
    public var retries: Int
    /// Resubmissions that do not spend the budget (node failures, lost jobs), per simulation, before they do.
    public var freeRetries: Int
    /// The most memory (MiB) a simulation is given after running out of memory.
    public var memoryCapMiB: Int
    /// The memory (MiB) the plan asks for one simulation, if it says.
    public var planMemoryMiB: Int?

    /// Creates a policy.
    public init(retries: Int, freeRetries: Int = 10, memoryCapMiB: Int = 256 * 1024, planMemoryMiB: Int? = nil) {
        self.retries = retries
        self.freeRetries = freeRetries
        self.memoryCapMiB = memoryCapMiB
        self.planMemoryMiB = planMemoryMiB
    }

    /// What to do about a simulation whose job ended in `state`.
    ///
    /// - Parameters:
    ///   - state: how the job ended (a finished state, or `vanished` once the launcher stopped waiting for it).
    ///   - byLauncher: the launcher cancelled it itself (`.silent` counts as a fault, the others do not).
    ///   - spent: retries already spent from the budget; `free`: resubmissions already made without spending it.
    ///   - walltimeKills: how often the simulation was killed at its walltime, this time included (the first is
    ///     free; one that keeps hitting its walltime spends its budget).
    ///   - memoryMiB: the memory of the job that ended, when it was overridden.
    ///   - nodeList: where it ran.
    func decide(
        _ state: JobState, cancelledFor reason: CancelReason?, spent: Int, free: Int, memoryMiB: Int?,
        nodeList: String?, walltimeKills: Int = 0
    ) -> RecoveryAction {
        let budgeted: RecoveryAction =
            spent < retries ? .retry(spendsBudget: true, memoryMiB: memoryMiB, excludeNode: nil) : .giveUp
        func notCounted(exclude: String? = nil, memory: Int? = memoryMiB) -> RecoveryAction {
            free < freeRetries
                ? .retry(spendsBudget: false, memoryMiB: memory, excludeNode: exclude)
                : (spent < retries ? .retry(spendsBudget: true, memoryMiB: memory, excludeNode: exclude) : .giveUp)
        }
        switch reason {
        case .stopping: return .none
        case .serverRestart: return notCounted()
        case .silent: return budgeted
        case nil: break
        }
        switch state {
        case .completed: return .none
        case .nodeFailure, .bootFailure:
            return notCounted(exclude: nodeList.flatMap { $0.isEmpty || $0 == "None" || $0.contains("[") ? nil : $0 })
        case .outOfMemory:
            let current = memoryMiB ?? planMemoryMiB ?? 1024
            guard current < memoryCapMiB else { return budgeted }
            let doubled = Swift.min(memoryCapMiB, current * 2)
            return spent < retries || free < freeRetries
                ? .retry(spendsBudget: false, memoryMiB: doubled, excludeNode: nil) : .giveUp
        // Over its walltime once is not the simulation's crash: the work is resubmitted without spending the budget;
        // a simulation that keeps hitting it (too short a walltime, a hang) spends its budget like a crash.
        case .timedOut: return walltimeKills <= 1 ? notCounted() : budgeted
        case .preempted, .vanished, .deadline: return notCounted()
        default: return budgeted
        }
    }
}
