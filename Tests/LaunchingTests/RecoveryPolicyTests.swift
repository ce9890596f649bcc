import Testing

@testable import Launching

/// What the launcher does for each way a simulation job can end.
@Suite("Recovery policy")
struct RecoveryPolicyTests {
    let policy = RecoveryPolicy(retries: 2, freeRetries: 3, memoryCapMiB: 8192, planMemoryMiB: 2048)

    func decide(_ state: JobState, reason: CancelReason? = nil, spent: Int = 0, free: Int = 0, memory: Int? = nil)
        -> RecoveryAction
    {
        policy.decide(state, cancelledFor: reason, spent: spent, free: free, memoryMiB: memory, nodeList: "node7")
    }

    @Test("failures, kills and silences spend the budget, then the simulation is given up")
    func budget() {
        let retry = RecoveryAction.retry(spendsBudget: true, memoryMiB: nil, excludeNode: nil)
        #expect(decide(.failed(exitCode: 1, signal: nil)) == retry)
        #expect(decide(.failed(exitCode: 0, signal: 9), spent: 1) == retry)
        #expect(decide(.cancelled(by: 0)) == retry)
        #expect(decide(.cancelled(by: nil), reason: .silent) == retry)
        #expect(decide(.failed(exitCode: 1, signal: nil), spent: 2) == .giveUp)
    }

    @Test("node and boot failures avoid the node without spending the budget; OOM doubles the memory up to a cap")
    func notTheJobsFault() {
        #expect(decide(.nodeFailure) == .retry(spendsBudget: false, memoryMiB: nil, excludeNode: "node7"))
        #expect(decide(.bootFailure, free: 3) == .retry(spendsBudget: true, memoryMiB: nil, excludeNode: "node7"))
        #expect(decide(.outOfMemory) == .retry(spendsBudget: false, memoryMiB: 4096, excludeNode: nil))
        #expect(decide(.outOfMemory, memory: 6000) == .retry(spendsBudget: false, memoryMiB: 8192, excludeNode: nil))
        #expect(decide(.outOfMemory, memory: 8192) == .retry(spendsBudget: true, memoryMiB: 8192, excludeNode: nil))
        #expect(decide(.preempted) == .retry(spendsBudget: false, memoryMiB: nil, excludeNode: nil))
        #expect(decide(.timedOut, spent: 2) == .retry(spendsBudget: false, memoryMiB: nil, excludeNode: nil))
        #expect(
            decide(.cancelled(by: nil), reason: .serverRestart, spent: 2)
                == .retry(spendsBudget: false, memoryMiB: nil, excludeNode: nil))
        #expect(decide(.cancelled(by: nil), reason: .stopping) == RecoveryAction.none)
    }
}
