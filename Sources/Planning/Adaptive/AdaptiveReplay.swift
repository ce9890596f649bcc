import Foundation
import PlanModel
import Sampling

/// `melissa plan --replay DIR`: the full list of parameter sets an adaptive study ran, rebuilt from its plan and
/// the journal's `propose` records, each batch proposed again from its recorded candidates and compared bit for bit
/// with what was recorded (docs/active-sampling.md, "Replay").
public struct AdaptiveReplay: Sendable {
    /// One parameter set of the study.
    public struct Row: Sendable, Hashable {
        /// The simulation.
        public var simulation: Int
        /// `training` or `validation`.
        public var role: SimulationRole
        /// `initial`, `explore`, `breed`, `not chosen` (a slot of a batch the study never reached), or `validation`.
        public var origin: String
        /// The batch that chose it (0: the initial design).
        public var batch: Int
        /// The parent of a bred set.
        public var parent: Int?
        /// Its values at attempt 0, in parameter order.
        public var values: [ParameterValue]
    }

    /// A recorded batch that the proposer does not reproduce.
    public struct Mismatch: Error, Sendable, CustomStringConvertible {
        /// The batch.
        public var batch: Int
        /// What differs.
        public var detail: String

        /// A message for a person.
        public var description: String { "batch \(batch) does not replay: \(detail)" }
    }

    /// Every simulation's row, by id.
    public var rows: [Row]
    /// Batches replayed.
    public var batches: Int

    /// Replays `records` (the `propose` decisions' JSON, oldest first) against `plan`; throws ``Mismatch`` at the
    /// first batch whose proposals differ from the recorded ones in any bit.
    public init(plan: Plan, records: [String]) throws {
        let decoder = JSONDecoder()
        var origin: [Int: (String, Int, Int?, [ParameterValue])] = [:]
        for (index, text) in records.enumerated() {
            let record: AdaptiveProposer.Record
            do {
                record = try decoder.decode(AdaptiveProposer.Record.self, from: Data(text.utf8))
            } catch {
                throw Mismatch(batch: index + 1, detail: "its record cannot be read (\(error))")
            }
            guard record.batch == index + 1 else {
                throw Mismatch(batch: index + 1, detail: "the journal records batch \(record.batch) in its place")
            }
            let again = AdaptiveProposer.propose(plan: plan, batch: record.batch, candidates: record.candidates)
            guard again == record else {
                let detail =
                    zip(again.proposals, record.proposals).first { $0 != $1 }.map {
                        "simulation \($0.simulation): proposed \($0.values) now, \($1.values) recorded"
                    } ?? "the seed, rates or number of proposals differ"
                throw Mismatch(batch: record.batch, detail: detail)
            }
            for proposal in record.proposals {
                origin[proposal.simulation] = (
                    proposal.origin.rawValue, record.batch, proposal.parent, proposal.values
                )
            }
        }
        batches = records.count
        rows = plan.simulations.map { job in
            if job.role == .validation {
                return Row(
                    simulation: job.id, role: .validation, origin: "validation", batch: 0, parent: nil,
                    values: job.values)
            }
            let batch = plan.adaptiveBatch(of: job.id)
            if batch == 0 {
                return Row(
                    simulation: job.id, role: .training, origin: "initial", batch: 0, parent: nil, values: job.values)
            }
            guard let (kind, chosenIn, parent, values) = origin[job.id] else {
                return Row(
                    simulation: job.id, role: .training, origin: "not chosen", batch: batch, parent: nil,
                    values: job.values)
            }
            return Row(
                simulation: job.id, role: .training, origin: kind, batch: chosenIn, parent: parent, values: values)
        }
    }

    /// A CSV field, quoted when it holds a comma, a quote or a line break.
    static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The rows as CSV: `simulation,role,origin,batch,parent,<parameters…>`.
    public func csv(parameters: [String]) -> String {
        var lines = [(["simulation", "role", "origin", "batch", "parent"] + parameters).joined(separator: ",")]
        for row in rows {
            let cells =
                ["\(row.simulation)", row.role.rawValue, row.origin, "\(row.batch)", row.parent.map(String.init) ?? ""]
                + row.values.map(\.description)
            lines.append(cells.map(Self.field).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
