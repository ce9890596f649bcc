import Foundation
import PlanModel
import Randomness
import Sampling

/// The adaptive sampler's proposer (`strategy: breed`): given the simulations that finished and their scores, the
/// parameter sets of the next batch's slots. A pure function of its record: the same plan, batch and candidates give
/// the same proposals, bit for bit (`melissa plan --replay` checks it; docs/active-sampling.md).
///
/// Each slot is drawn for exploration with the probability `exploration`, moving linearly from its start to its end
/// value over the batches; it then runs the space-filling sequence's next point (its values in the plan). Otherwise
/// it is bred: a parent is picked among the candidates with a probability proportional to its score, and the child
/// takes a Gaussian step from it, of a width `mutation` × each parameter's range (shrinking likewise); a value past its
/// distribution's bounds is reflected back inside, never clipped onto the boundary. Candidates whose simulation was
/// given up, or whose values were redrawn after crashes, count as failed: they keep the highest score (their
/// neighbourhood is sampled, not avoided), and no child repeats a failed set's values.
public enum AdaptiveProposer {
    /// A finished parameter set the proposer may breed from.
    public struct Candidate: Sendable, Hashable, Codable {
        /// The simulation it ran as.
        public var simulation: Int
        /// Its values, in the plan's parameter order.
        public var values: [ParameterValue]
        /// Its score (the server's training loss of its samples, or its decrease); nil when the server had none.
        public var score: Double?
        /// Its simulation was given up, or redrawn away from these values after crashes.
        public var failed: Bool

        /// Creates a candidate.
        public init(simulation: Int, values: [ParameterValue], score: Double?, failed: Bool = false) {
            self.simulation = simulation
            self.values = values
            self.score = score
            self.failed = failed
        }
    }

    /// What one slot runs with.
    public struct Proposal: Sendable, Hashable, Codable {
        /// How the slot was filled.
        public enum Origin: String, Sendable, Hashable, Codable {
            /// The space-filling sequence's next point (the plan's values).
            case explore
            /// A Gaussian step from a parent.
            case breed
        }

        /// The slot (a training simulation id).
        public var simulation: Int
        /// How it was filled.
        public var origin: Origin
        /// The parent's simulation, when bred.
        public var parent: Int?
        /// The values it runs with.
        public var values: [ParameterValue]
    }

    /// One batch's proposal, with everything it was computed from: the journal keeps it (decision `propose`).
    public struct Record: Sendable, Hashable, Codable {
        /// The batch (1, 2, …).
        public var batch: Int
        /// The seed of the batch's generator.
        public var seed: UInt64
        /// The exploration probability used.
        public var exploration: Double
        /// The Gaussian step's width used, as a fraction of each parameter's range.
        public var width: Double
        /// The candidates, by simulation id.
        public var candidates: [Candidate]
        /// The slots' proposals, by simulation id.
        public var proposals: [Proposal]
    }

    /// The proposal of `batch` for `plan`, from `candidates` (any order).
    public static func propose(plan: Plan, batch: Int, candidates: [Candidate]) -> Record {
        guard let rules = plan.adaptive else {
            return Record(batch: batch, seed: 0, exploration: 1, width: 0, candidates: [], proposals: [])
        }
        let count = max(1, plan.adaptiveBatchCount - 1)
        let progress = min(1, max(0, Double(batch - 1) / Double(count)))
        let exploration = rules.exploration[0] + (rules.exploration[1] - rules.exploration[0]) * progress
        let width = rules.mutation[0] + (rules.mutation[1] - rules.mutation[0]) * progress
        let seed = SplitMix64.derive(rules.seed, 0xADA9, UInt64(batch))
        var generator = Xoshiro256StarStar(seed: seed)
        let sorted = candidates.sorted { ($0.simulation, $0.failed ? 1 : 0) < ($1.simulation, $1.failed ? 1 : 0) }
        let weights = Self.weights(sorted)
        let failedValues = Set(sorted.filter(\.failed).map(\.values))
        var proposals: [Proposal] = []
        for slot in plan.adaptiveSlots(ofBatch: batch) {
            let draw = Self.unit(&generator)
            let planned = plan.simulations[slot].values
            guard draw >= exploration, let parentIndex = Self.pick(weights, &generator) else {
                proposals.append(Proposal(simulation: slot, origin: .explore, parent: nil, values: planned))
                continue
            }
            let parent = sorted[parentIndex]
            var child = parent.values
            // A child never repeats its parent or a failed set (a step of zero width could).
            for _ in 0..<16 {
                child = zip(plan.parameters, parent.values).map { parameter, value in
                    Self.mutate(value, parameter.distribution, width: width, &generator)
                }
                if child != parent.values && !failedValues.contains(child) { break }
            }
            proposals.append(Proposal(simulation: slot, origin: .breed, parent: parent.simulation, values: child))
        }
        return Record(
            batch: batch, seed: seed, exploration: exploration, width: width, candidates: sorted,
            proposals: proposals)
    }

    /// Each candidate's weight: its score; a candidate without one the median of the others'; a failed one the
    /// highest; all equal when no score is known.
    static func weights(_ candidates: [Candidate]) -> [Double] {
        let known = candidates.compactMap(\.score).filter { $0.isFinite && $0 >= 0 }.sorted()
        guard !known.isEmpty else { return candidates.map { _ in 1 } }
        let median = known[known.count / 2]
        let highest = known.last ?? 1
        return candidates.map { candidate in
            if candidate.failed { return highest }
            guard let score = candidate.score, score.isFinite, score >= 0 else { return median }
            return score
        }
    }

    /// An index drawn with probability proportional to `weights`; nil when there is none.
    static func pick(_ weights: [Double], _ generator: inout Xoshiro256StarStar) -> Int? {
        guard !weights.isEmpty else { return nil }
        let total = weights.reduce(0, +)
        guard total > 0 else { return Int(generator.next() % UInt64(weights.count)) }
        var target = unit(&generator) * total
        for (index, weight) in weights.enumerated() {
            target -= weight
            if target < 0 { return index }
        }
        return weights.count - 1
    }

    /// A uniform draw in [0, 1), from the generator's top 53 bits.
    static func unit(_ generator: inout Xoshiro256StarStar) -> Double {
        Double(generator.next() >> 11) * 0x1.0p-53
    }

    /// A standard normal draw (Box–Muller).
    static func normal(_ generator: inout Xoshiro256StarStar) -> Double {
        let u = max(unit(&generator), 0x1.0p-53)
        let v = unit(&generator)
        return (-2 * Foundation.log(u)).squareRoot() * Foundation.cos(2 * Double.pi * v)
    }

    /// `value` after a Gaussian step of `width` × its distribution's range, reflected into its bounds.
    static func mutate(
        _ value: ParameterValue, _ distribution: Distribution?, width: Double, _ generator: inout Xoshiro256StarStar
    ) -> ParameterValue {
        guard let distribution else { return value }
        switch (distribution, value) {
        case (.uniform(let lower, let upper), .real(let x)):
            return .real(reflect(x + width * (upper - lower) * normal(&generator), lower, upper))
        case (.logUniform(let lower, let upper), .real(let x)):
            let (a, b) = (Foundation.log(lower), Foundation.log(upper))
            return .real(Foundation.exp(reflect(Foundation.log(x) + width * (b - a) * normal(&generator), a, b)))
        case (.normal(let mean, let std, let lower, let upper), .real(let x)):
            let range = (lower != nil && upper != nil) ? upper! - lower! : 6 * std
            var y = x + width * range * normal(&generator)
            if let lower, let upper { y = reflect(y, lower, upper) }
            if let lower, upper == nil, y < lower { y = 2 * lower - y }
            if let upper, lower == nil, y > upper { y = 2 * upper - y }
            _ = mean
            return .real(y)
        case (.integerUniform(let lower, let upper), .integer(let k)):
            let step = Double(k) + width * Double(upper - lower + 1) * normal(&generator)
            let reflected = reflect(step, Double(lower) - 0.5, Double(upper) + 0.5)
            return .integer(min(upper, max(lower, Int(reflected.rounded()))))
        case (.choice(let choices), _):
            guard choices.count > 1, unit(&generator) < max(width, 0.05) else { return value }
            let others = choices.filter { $0 != value }
            return others.isEmpty ? value : others[Int(generator.next() % UInt64(others.count))]
        default:
            return value
        }
    }

    /// `x` folded into [lower, upper] by reflection at the bounds (as often as it takes).
    static func reflect(_ x: Double, _ lower: Double, _ upper: Double) -> Double {
        let span = upper - lower
        guard span > 0, x.isFinite else { return lower + span / 2 }
        var y = (x - lower).truncatingRemainder(dividingBy: 2 * span)
        if y < 0 { y += 2 * span }
        return y <= span ? lower + y : lower + 2 * span - y
    }
}
