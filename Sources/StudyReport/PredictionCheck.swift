import Foundation
import Server
import StudySpec
import Training

/// The surrogate's predictions on the report's held-out samples, against their true fields, in the fields' units.
struct PredictionCheck {
    /// One held-out sample, predicted.
    struct Entry {
        var sample: ReportExcerpt.Sample
        var prediction: [Float]
    }

    /// The samples with their predictions.
    let entries: [Entry]
    /// Root mean square error over every value of every sample, in the fields' units.
    let rmse: Double
    /// The largest absolute error.
    let maximum: Double
    /// ‖prediction − truth‖ / ‖truth‖ over all the samples together.
    let relativeL2: Double

    /// Predicts every sample of `excerpt` with `model`; nil when there is none or the sizes disagree.
    init?(excerpt: ReportExcerpt?, model: ReportModel?) {
        guard let excerpt, let model, !excerpt.samples.isEmpty,
            let predictions = try? model.predict(excerpt.samples.map(\.input))
        else { return nil }
        var entries: [Entry] = []
        var squared = 0.0
        var truthSquared = 0.0
        var maximum = 0.0
        var count = 0
        for (sample, prediction) in zip(excerpt.samples, predictions) {
            guard prediction.count == sample.truth.count else { return nil }
            for (p, t) in zip(prediction, sample.truth) {
                let error = Double(p) - Double(t)
                squared += error * error
                truthSquared += Double(t) * Double(t)
                maximum = max(maximum, abs(error))
            }
            count += prediction.count
            entries.append(Entry(sample: sample, prediction: prediction))
        }
        self.entries = entries
        rmse = count > 0 ? (squared / Double(count)).squareRoot() : .nan
        self.maximum = maximum
        relativeL2 = truthSquared > 0 ? (squared / truthSquared).squareRoot() : .nan
    }

    /// The values of field `index` of `fields` within a sample's output (fields are concatenated in order).
    static func slice(_ values: [Float], field index: Int, of fields: [FieldSpec]) -> [Float] {
        let start = fields[..<index].reduce(0) { $0 + ($1.size ?? 0) }
        let size = fields[index].size ?? 0
        guard start + size <= values.count else { return [] }
        return Array(values[start..<(start + size)])
    }
}
