import Foundation
import Reporting
import Server

/// The verdict box's content: did the study deliver a surrogate, and how good is it.
///
/// - failed: nothing was trained, the validation simulations gave no measure, no simulation delivered, or the
///   surrogate is no better than predicting the mean training field;
/// - warning: the surrogate's validation relative L2 is above ``goodRelativeL2``, simulations were given up, or the
///   study holds out no validation simulation (its error is then unknown);
/// - good: otherwise.
public struct StudyVerdict {
    /// The relative L2 error at or under which a surrogate counts as good (5 %).
    public static let goodRelativeL2 = 0.05

    /// The headline.
    public var headline: String
    /// Its tone.
    public var tone: HTMLPage.Tone
    /// Whether the study delivered nothing usable: `melissa launch` then exits non-zero.
    public var isFailure: Bool { tone == .failed }
    /// Why, one line a reason.
    public var reasons: [String]
    /// The figures shown with it, label and value.
    public var figures: [(String, String)]

    /// The verdict on `record`, with the surrogate's errors on the report's held-out samples when known.
    init(_ record: StudyRecord, check: PredictionCheck?) {
        let metrics = record.metrics
        let last = metrics.last
        let relativeL2 = metrics.last { $0.relativeL2 != nil }?.relativeL2
        let validation = metrics.last { $0.validationLoss != nil }?.validationLoss
        let counts = SimulationCounts(record)
        var reasons: [String] = []
        if (last?.batch ?? 0) == 0 { reasons.append("no batch was trained") }
        let validated = record.plan.validationCount > 0
        if relativeL2 == nil {
            reasons.append(
                validated
                    ? "no validation error was measured"
                    : "the study holds out no validation simulation: the surrogate's error is not measured")
        }
        if counts.done == 0 && record.launched { reasons.append("no simulation completed") }
        if counts.givenUp > 0 { reasons.append("\(counts.givenUp) of \(counts.total) simulations were given up") }
        let final = metrics.last { $0.relativeL2 != nil }
        if let relativeL2, let baseline = final?.baselineRelativeL2, relativeL2 >= baseline {
            reasons.append(
                "the surrogate (relative L2 \(Self.percent(relativeL2))) is no better than predicting the mean "
                    + "training field (\(Self.percent(baseline)))")
        }
        if let relativeL2, relativeL2 > Self.goodRelativeL2 {
            reasons.append(
                "validation relative L2 \(Self.percent(relativeL2)) is above \(Self.percent(Self.goodRelativeL2))")
        }
        // A surrogate no better than the mean training field learnt nothing usable about the parameters.
        // `training.validation.require_skill: false` (a smoke run) keeps it a caveat.
        let noSkill =
            (record.plan.server.training.validation.requireSkill ?? true)
            && (relativeL2.flatMap { error in final?.baselineRelativeL2.map { error >= $0 } } ?? false)
        let failed =
            (last?.batch ?? 0) == 0 || (validated && relativeL2 == nil) || (counts.done == 0 && record.launched)
            || noSkill
        tone = failed ? .failed : reasons.isEmpty ? .good : .warning
        switch tone {
        case .failed: headline = "No usable surrogate"
        case .warning: headline = "Surrogate trained, relative L2 \(relativeL2.map(Self.percent) ?? "—"), with caveats"
        case .good: headline = "Surrogate trained: relative L2 \(relativeL2.map(Self.percent) ?? "—")"
        }
        self.reasons = reasons
        let seconds = last?.seconds ?? 0
        let trained = last?.trained ?? 0
        let fieldValues = record.plan.server.fields.reduce(0) { $0 + ($1.size ?? 0) }
        let streamed = Int64(last?.received ?? 0) * Int64(fieldValues) * 4
        let written = record.writtenBytes.values.reduce(0, +)
        figures = [
            ("validation relative L2", relativeL2.map(Self.percent) ?? "not measured"),
            ("validation loss (normalised MSE)", validation.map { String(format: "%.4g", $0) } ?? "not measured"),
            ("validation RMSE, in the field's units", final?.validationRmse.map { String(format: "%.4g", $0) } ?? "—"),
            (
                "validation p99 · largest error",
                final.flatMap { record in
                    record.validationP99Error.map { p99 in
                        String(format: "%.4g · %.4g", p99, record.validationMaxError ?? .nan)
                    }
                } ?? "—"
            ),
            (
                "mean-field baseline relative L2 (skill)",
                final?.baselineRelativeL2.map { baseline in
                    let skill = (relativeL2 ?? 0) > 0 ? String(format: " (%.1f× better)", baseline / relativeL2!) : ""
                    return Self.percent(baseline) + skill
                } ?? "—"
            ),
            (
                "worst time step (relative L2)",
                Self.worstStep(final?.relativeL2ByStep).map { "step \($0.step): \(Self.percent($0.value))" } ?? "—"
            ),
            ("weights exported", final?.exportedBatch.map { "the best validation's, batch \($0)" } ?? "the last"),
            ("held-out RMSE, in the field's units", check.map { String(format: "%.4g", $0.rmse) } ?? "not measured"),
            ("held-out largest error", check.map { String(format: "%.4g", $0.maximum) } ?? "not measured"),
            ("simulations", "\(counts.done) done · \(counts.failed) failed · \(counts.givenUp) given up"),
            (
                "of the plan",
                "\(counts.total) (\(record.plan.trainingCount) training, \(record.plan.validationCount) validation)"
            ),
            ("batches trained", "\(last?.batch ?? 0)"),
            ("wall time of training", Self.duration(seconds)),
            ("samples trained per second", seconds > 0 ? String(format: "%.0f", Double(trained) / seconds) : "—"),
            (
                "trainer busy (time in steps ÷ wall time)",
                Self.busyFraction(metrics).map(Self.percent) ?? "not measured"
            ),
            ("samples received", "\(last?.received ?? 0)"),
            ("data streamed", Self.bytes(streamed)),
            ("written to disk (checkpoints, model, metrics)", Self.bytes(written)),
        ]
    }

    /// The time in steps over the wall time between the first and the last record (the first record's own steps
    /// left out, as its interval's start is unknown); nil without step times.
    static func busyFraction(_ metrics: [MetricsRecord]) -> Double? {
        guard let first = metrics.first, let last = metrics.last, last.seconds > first.seconds else { return nil }
        let steps = metrics.dropFirst().compactMap(\.stepSeconds)
        guard !steps.isEmpty else { return nil }
        return min(1, steps.reduce(0, +) / (last.seconds - first.seconds))
    }

    /// The time step with the largest relative L2 error.
    static func worstStep(_ byStep: [Double?]?) -> (step: Int, value: Double)? {
        guard let byStep else { return nil }
        return byStep.enumerated().compactMap { index, value in value.map { (index, $0) } }.max { $0.1 < $1.1 }
    }

    /// One line of the validation's figures, for a terminal: relative L2, RMSE, p99, largest error, the baseline.
    public static func figuresLine(_ metrics: [MetricsRecord]) -> String? {
        guard let final = metrics.last(where: { $0.relativeL2 != nil }), let relativeL2 = final.relativeL2 else {
            return nil
        }
        var parts = ["validation relative L2 \(percent(relativeL2))"]
        if let rmse = final.validationRmse { parts.append(String(format: "RMSE %.4g", rmse)) }
        if let p99 = final.validationP99Error { parts.append(String(format: "p99 %.4g", p99)) }
        if let largest = final.validationMaxError { parts.append(String(format: "max %.4g", largest)) }
        if let baseline = final.baselineRelativeL2 {
            parts.append("mean-field baseline \(percent(baseline))")
        }
        if let worst = worstStep(final.relativeL2ByStep) {
            parts.append("worst step \(worst.step): \(percent(worst.value))")
        }
        return parts.joined(separator: " · ")
    }

    static func percent(_ value: Double) -> String { String(format: "%.2f %%", value * 100) }

    static func duration(_ seconds: Double) -> String {
        seconds < 120
            ? String(format: "%.1f s", seconds) : String(format: "%d min %02d s", Int(seconds) / 60, Int(seconds) % 60)
    }

    static func bytes(_ count: Int64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(count)
        var unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }
}
