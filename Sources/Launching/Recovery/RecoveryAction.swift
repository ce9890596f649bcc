/// What the launcher does about a simulation job that ended without completing.
public enum RecoveryAction: Sendable, Hashable {
    /// Resubmit with the next attempt; `spendsBudget` counts it against `simulation.retries`.
    case retry(spendsBudget: Bool, memoryMiB: Int?, excludeNode: String?)
    /// The retries are spent: give the simulation up.
    case giveUp
    /// Nothing (the launcher stopped it on purpose).
    case none
}
