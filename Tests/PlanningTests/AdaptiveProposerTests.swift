import Foundation
import PlanModel
import Sampling
import StudySpec
import Testing

@testable import Planning

/// The adaptive sampler's plan and proposer (docs/active-sampling.md): deterministic, inside the support, breeding
/// where the score is high, never repeating a failed set.
@Suite("adaptive sampling: plan and proposer")
struct AdaptiveProposerTests {
    /// The test study with 2 real parameters in [0, 1] × [10, 20], `count` training simulations, `initial` of them
    /// from Sobol, `batch` at a time.
    static func plan(
        count: Int = 32, initial: Int = 8, batch: Int = 8, exploration: [Double] = [0.5, 0.5],
        scheduler: ExecutionSpec.Scheduler = .local
    ) throws -> Plan {
        var study = TestSupport.study(scheduler: scheduler, count: count)
        study.parameters = [
            Parameter(name: "a", distribution: .uniform(lower: 0, upper: 1)),
            Parameter(name: "b", distribution: .uniform(lower: 10, upper: 20)),
        ]
        study.simulation.command = "solver {{a}} {{b}}"
        study.simulation.environment = []
        study.sampler = SamplerSpec(kind: .adaptive, count: count, scramble: .none)
        study.sampler.adaptive = AdaptiveSamplerSpec(
            initialKind: .sobol, initialCount: initial, initialScramble: .none, batch: batch,
            exploration: exploration)
        return try TestSupport.plan(study)
    }

    static func real(_ value: ParameterValue) -> Double {
        if case .real(let x) = value { return x }
        return .nan
    }

    @Test("the plan holds the whole budget: the initial design, then the sequence's next points in the slots")
    func thePlanHoldsTheInitialDesignAndTheSlots() throws {
        let plan = try Self.plan()
        var uniform = TestSupport.study(count: 32)
        uniform.parameters = [
            Parameter(name: "a", distribution: .uniform(lower: 0, upper: 1)),
            Parameter(name: "b", distribution: .uniform(lower: 10, upper: 20)),
        ]
        uniform.simulation.command = "solver {{a}} {{b}}"
        uniform.simulation.environment = []
        let sobol = try TestSupport.plan(uniform)
        #expect(plan.trainingCount == 32 && plan.validationCount == 2)
        #expect(plan.adaptive?.initialCount == 8 && plan.adaptiveBatchCount == 3)
        // The same Sobol sequence: the slots hold the points a uniform study of the same budget would run.
        #expect(plan.simulations.prefix(32).map(\.values) == sobol.simulations.prefix(32).map(\.values))
        #expect(plan.adaptiveBatch(of: 7) == 0 && plan.adaptiveBatch(of: 8) == 1 && plan.adaptiveBatch(of: 31) == 3)
        #expect(plan.adaptiveBatch(of: 32) == 0, "validation is chosen from the start")
        #expect(plan.adaptiveSlots(ofBatch: 2) == 16..<24)
    }

    @Test("with packing: array, each batch is a small array")
    func eachBatchIsAnArray() throws {
        let plan = try Self.plan(scheduler: .slurm)
        #expect(plan.scripts.arrays.map { [$0.first, $0.count] } == [[0, 8], [8, 8], [16, 8], [24, 8], [32, 2]])
    }

    static func candidates(_ plan: Plan, scores: [Int: Double]) -> [AdaptiveProposer.Candidate] {
        (0..<8).map { id in
            AdaptiveProposer.Candidate(simulation: id, values: plan.simulations[id].values, score: scores[id] ?? 1)
        }
    }

    @Test("the same plan, batch and candidates give the same proposals, bit for bit; another batch others")
    func proposalsAreDeterministic() throws {
        let plan = try Self.plan()
        let candidates = Self.candidates(plan, scores: [3: 50])
        let first = AdaptiveProposer.propose(plan: plan, batch: 1, candidates: candidates)
        let again = AdaptiveProposer.propose(plan: plan, batch: 1, candidates: candidates.reversed())
        #expect(first == again)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let decoded = try JSONDecoder().decode(AdaptiveProposer.Record.self, from: encoder.encode(first))
        #expect(decoded == first, "the journal's JSON keeps every bit")
        #expect(first.proposals.map(\.simulation) == Array(8..<16))
        let second = AdaptiveProposer.propose(plan: plan, batch: 2, candidates: candidates)
        #expect(second.seed != first.seed)
        #expect(second.proposals.map(\.simulation) == Array(16..<24))
    }

    @Test("parents are picked by score; children stay strictly inside the support; the rest explore")
    func childrenComeFromHighScoresAndStayInside() throws {
        let plan = try Self.plan(count: 408, initial: 8, batch: 400, exploration: [0.25, 0.25])
        // Simulation 5 at a corner of the support has 100× the others' loss.
        var candidates = Self.candidates(plan, scores: [5: 100])
        candidates[5].values = [.real(0.999), .real(19.99)]
        let record = AdaptiveProposer.propose(plan: plan, batch: 1, candidates: candidates)
        let bred = record.proposals.filter { $0.origin == .breed }
        let explored = record.proposals.filter { $0.origin == .explore }
        #expect((240...360).contains(bred.count), "about 75 % bred: \(bred.count)")
        for proposal in explored { #expect(proposal.values == plan.simulations[proposal.simulation].values) }
        let fromFive = bred.count { $0.parent == 5 }
        #expect(Double(fromFive) > 0.85 * Double(bred.count), "\(fromFive) of \(bred.count) bred from the worst")
        for child in bred {
            let a = Self.real(child.values[0])
            let b = Self.real(child.values[1])
            #expect(a > 0 && a < 1 && b > 10 && b < 20, "reflected inside, never clipped: \(child.values)")
            #expect(child.values != candidates[child.parent ?? 0].values)
        }
        // Near the corner, reflection keeps children near it: none is clipped to exactly the bound.
        let nearCorner = bred.filter { $0.parent == 5 }.map { Self.real($0.values[0]) }
        #expect(nearCorner.allSatisfy { $0 < 1 } && nearCorner.contains { $0 > 0.95 })
    }

    @Test("a failed set keeps the highest weight and is never proposed again unchanged")
    func failedSetsAreBredAroundNotRepeated() throws {
        let plan = try Self.plan(count: 208, initial: 8, batch: 200, exploration: [0, 0])
        var candidates = Self.candidates(plan, scores: [:])
        candidates.append(
            AdaptiveProposer.Candidate(
                simulation: 2, values: [.real(0.5), .real(15)], score: nil, failed: true))
        let weights = AdaptiveProposer.weights(candidates.sorted { $0.simulation < $1.simulation })
        #expect(weights.max() == weights[3], "the failed set weighs as much as the best")
        let record = AdaptiveProposer.propose(plan: plan, batch: 1, candidates: candidates)
        #expect(record.proposals.allSatisfy { $0.origin == .breed })
        #expect(!record.proposals.contains { $0.values == [.real(0.5), .real(15)] })
        #expect(record.candidates.contains { $0.failed }, "the record says which sets failed")
    }

    @Test("reflection folds any value into its bounds")
    func reflection() {
        #expect(AdaptiveProposer.reflect(1.2, 0, 1) == 0.8)
        #expect(abs(AdaptiveProposer.reflect(-0.3, 0, 1) - 0.3) < 1e-12)
        #expect(abs(AdaptiveProposer.reflect(2.25, 0, 1) - 0.25) < 1e-12)
        #expect(AdaptiveProposer.reflect(0.4, 0, 1) == 0.4)
    }
}
