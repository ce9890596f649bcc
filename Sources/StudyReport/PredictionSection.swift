import Foundation
import PlanModel
import Reporting
import Server
import StudySpec

/// The report's "prediction against truth": for each held-out sample of the excerpt, the true field, the
/// surrogate's and their difference, as heat maps (a 2-D `shape`) or as lines.
struct PredictionSection {
    let record: StudyRecord
    let check: PredictionCheck?

    func write(into page: inout HTMLPage) {
        page.section("predictions", "Prediction against truth")
        guard let check else {
            page.paragraph(
                record.model == nil
                    ? "No model yet: the server writes a checkpoint, then model.melissa when training is over."
                    : "The server has not kept held-out samples for the report yet (it writes them at each "
                        + "validation).")
            return
        }
        page.paragraph(
            "The surrogate (\(record.modelSource ?? "model")) on \(check.entries.count) held-out samples: "
                + String(
                    format: "RMSE %.4g, largest error %.4g (the field's units), relative L2 %.2f %%.",
                    check.rmse, check.maximum, check.relativeL2 * 100))
        let fields = record.plan.server.fields
        for entry in check.entries {
            for (index, field) in fields.enumerated() {
                let truth = PredictionCheck.slice(entry.sample.truth, field: index, of: fields)
                let prediction = PredictionCheck.slice(entry.prediction, field: index, of: fields)
                let caption = "simulation \(entry.sample.simulation), time step \(entry.sample.step): \(field.name)"
                page.figures(Self.charts(field: field, truth: truth, prediction: prediction), caption: caption)
            }
        }
    }

    static func charts(field: FieldSpec, truth: [Float], prediction: [Float]) -> [String] {
        let difference = zip(prediction, truth).map { $0 - $1 }
        if let shape = field.shape, shape.count == 2 {
            let range = HeatMap.range(of: truth + prediction)
            let spread = difference.lazy.filter(\.isFinite).map { abs(Double($0)) }.max() ?? 0
            let symmetric = spread > 0 ? -spread...spread : -1...1
            return [
                HeatMap(
                    title: "truth", values: truth, rows: shape[0], columns: shape[1], unit: field.name,
                    range: range
                ).svg(),
                HeatMap(
                    title: "surrogate", values: prediction, rows: shape[0], columns: shape[1],
                    unit: field.name, range: range
                ).svg(),
                HeatMap(
                    title: "surrogate − truth", values: difference, rows: shape[0], columns: shape[1],
                    unit: field.name, range: symmetric, scale: .diverging
                ).svg(),
            ]
        }
        func points(_ values: [Float]) -> [(x: Double, y: Double)] {
            values.enumerated().map { (Double($0.offset), Double($0.element)) }
        }
        return [
            LineChart(
                title: "truth and surrogate", xLabel: "value index", yLabel: field.name,
                series: [
                    .init(name: "truth", points: points(truth)),
                    .init(name: "surrogate", points: points(prediction), dashed: true),
                ], width: 520, height: 300
            ).svg(),
            LineChart(
                title: "surrogate − truth", xLabel: "value index", yLabel: field.name,
                series: [.init(name: "difference", points: points(difference))], width: 520, height: 300
            ).svg(),
        ]
    }
}
