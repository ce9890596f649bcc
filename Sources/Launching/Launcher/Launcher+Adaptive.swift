import Foundation
import PlanModel
import Planning

/// Active sampling (`sampler: {kind: adaptive}`, docs/active-sampling.md): the slots of a batch are chosen once
/// enough simulations finished, from the server's per-simulation scores; each choice is recorded in the journal
/// (decision `propose`, the whole ``AdaptiveProposer/Record``) and, for a bred slot, in `redraws.json` (its values
/// from attempt 0, with `redrawn/<id>.values`) before the slot can be submitted.
extension Launcher {
    /// The journal's decision kind of a batch's proposal.
    public static let proposeKind = "propose"

    /// Whether simulation `id` may be submitted: chosen already (the initial design, validation, a proposed batch).
    func isChosen(_ id: Int) -> Bool {
        plan.adaptiveBatch(of: id) <= proposedBatches
    }

    /// The training simulations, by id.
    private var trainingIDs: Range<Int> { 0..<(plan.adaptive?.count ?? plan.trainingCount) }

    /// The batches proposed by earlier launches (on a resume), from the journal.
    func restoreProposals() throws {
        guard plan.adaptive != nil else { return }
        proposedBatches = try journal.decisions(kind: Self.proposeKind).count
    }

    /// Proposes every batch that is due: batch k once k × `batch` training simulations finished (completed or
    /// given up), or once every simulation chosen so far finished (an initial design smaller than a batch).
    func proposeIfDue() throws {
        guard let rules = plan.adaptive else { return }
        while proposedBatches < plan.adaptiveBatchCount {
            let chosen = rules.initialCount + proposedBatches * rules.batch
            let finished = trainingIDs.count { id in
                let record = simulations[id, default: SimulationRecord()]
                return record.isCompleted || record.isGivenUp
            }
            guard finished >= min((proposedBatches + 1) * rules.batch, chosen) else { return }
            try propose(batch: proposedBatches + 1)
        }
    }

    private func propose(batch: Int) throws {
        let record = AdaptiveProposer.propose(plan: plan, batch: batch, candidates: candidates())
        var table = redraws
        for proposal in record.proposals where proposal.origin == .breed {
            table.add(RedrawTable.Entry(simulation: proposal.simulation, fromAttempt: 0, values: proposal.values))
        }
        // The values first, then the record: a slot is never submitted before the server can read what it runs.
        try plan.writeRedraws(table)
        redraws = table
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let message = String(decoding: try encoder.encode(record), as: UTF8.self)
        try journal.recordDecision(kind: Self.proposeKind, message: message)
        proposedBatches = batch
        let bred = record.proposals.filter { $0.origin == .breed }
        let parents = Set(bred.compactMap(\.parent)).count
        event(
            "batch \(batch) of \(plan.adaptiveBatchCount): \(record.proposals.count) parameter sets chosen, "
                + "\(bred.count) bred from \(parents) parent(s), \(record.proposals.count - bred.count) space-filling "
                + "(from \(record.candidates.count) finished)")
    }

    /// The finished training simulations with their values and scores, and the sets crashes redrew away from.
    private func candidates() -> [AdaptiveProposer.Candidate] {
        let scores = serverLife.lastStatus?.scores ?? [:]
        let signal = plan.adaptive?.signal ?? .loss
        var result: [AdaptiveProposer.Candidate] = []
        for job in plan.simulations[trainingIDs] where isChosen(job.id) {
            let record = simulations[job.id, default: SimulationRecord()]
            let entries = redraws.entries[job.id] ?? []
            // The sets a crash redrew it away from: every set before its latest one.
            let sets = [entries.first?.fromAttempt == 0 ? nil : job.values] + entries.map(\.values)
            let values = sets.compactMap { $0 }
            for earlier in values.dropLast() {
                result.append(AdaptiveProposer.Candidate(simulation: job.id, values: earlier, score: nil, failed: true))
            }
            guard let current = values.last, record.isCompleted || record.isGivenUp else { continue }
            let score = scores[job.id].map { signal == .loss ? $0.loss : $0.delta }
            result.append(
                AdaptiveProposer.Candidate(
                    simulation: job.id, values: current, score: score, failed: record.isGivenUp))
        }
        return result
    }
}
