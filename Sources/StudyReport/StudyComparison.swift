import Foundation
import Reporting
import Server

/// The paper's experiment read back: the same study trained online with FIFO, FIRO and Reservoir and offline, one
/// row per run, the three claims judged on the measured figures, and the curves.
public struct StudyComparison {
    /// One run of the comparison.
    public struct Run {
        /// Its name (`fifo`, `firo`, `reservoir`, `offline`).
        public var name: String
        /// Its metrics.
        public var metrics: [MetricsRecord]
        /// Seconds from the first simulation's submission to the trained model (for offline: the simulations
        /// writing their data, then the training).
        public var wallSeconds: Double
        /// Seconds before training started (offline: producing the data), added to the metrics' times.
        public var offsetSeconds: Double
        /// Bytes the run wrote to disk (the study directory's files, logs excluded).
        public var bytesWritten: Int64

        /// Creates a run.
        public init(
            name: String, metrics: [MetricsRecord], wallSeconds: Double, offsetSeconds: Double, bytesWritten: Int64
        ) {
            self.name = name
            self.metrics = metrics
            self.wallSeconds = wallSeconds
            self.offsetSeconds = offsetSeconds
            self.bytesWritten = bytesWritten
        }

        /// The last validated record (the exported model's full evaluation).
        var final: MetricsRecord? { metrics.last { $0.relativeL2 != nil } }
        /// The lowest validation loss seen.
        var bestValidationLoss: Double? { metrics.compactMap(\.validationLoss).min() }
        /// Batches trained.
        var batches: Int { metrics.last?.batch ?? 0 }
        /// Training samples per second of training step.
        var trainingRate: Double? {
            let seconds = metrics.compactMap(\.stepSeconds).reduce(0, +)
            guard seconds > 0, let trained = metrics.last?.trained else { return nil }
            return Double(trained) / seconds
        }
        /// Samples trained per second of wall time.
        var wallRate: Double? {
            guard let last = metrics.last, last.seconds > 0 else { return nil }
            return Double(last.trained) / last.seconds
        }
        /// The trainer's busy fraction.
        var busy: Double? { StudyVerdict.busyFraction(metrics) }

        /// The relative L2 of the validation at or before `batch` (the latest such), or nil.
        func relativeL2(atBatch batch: Int) -> Double? {
            metrics.last { $0.batch <= batch && $0.relativeL2 != nil }?.relativeL2
        }

        /// The best relative L2 reached by `seconds` of wall time (counting the offset), or nil.
        func bestRelativeL2(bySeconds seconds: Double) -> Double? {
            metrics.filter { $0.seconds + offsetSeconds <= seconds }.compactMap(\.relativeL2).min()
        }
    }

    /// The runs, in order.
    public var runs: [Run]

    /// Creates the comparison.
    public init(runs: [Run]) {
        self.runs = runs
    }

    private func run(_ name: String) -> Run? { runs.first { $0.name == name } }

    /// The CSV table: one line a run.
    public var csv: String {
        var lines = [
            "run,final_validation_loss,best_validation_loss,relative_l2,rmse,p99_error,batches,"
                + "training_samples_per_second,wall_samples_per_second,wall_seconds,trainer_busy,bytes_written"
        ]
        for run in runs {
            let final = run.final
            let fields: [String] = [
                run.name, Self.number(final?.validationLoss), Self.number(run.bestValidationLoss),
                Self.number(final?.relativeL2), Self.number(final?.validationRmse),
                Self.number(final?.validationP99Error), "\(run.batches)", Self.number(run.trainingRate),
                Self.number(run.wallRate), Self.number(run.wallSeconds), Self.number(run.busy), "\(run.bytesWritten)",
            ]
            lines.append(fields.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The table in Markdown.
    public var table: String {
        var lines = [
            "| run | final val. loss | best val. loss | relative L2 | RMSE | batches | train samples/s | wall time "
                + "| trainer busy | written |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for run in runs {
            let final = run.final
            lines.append(
                "| \(run.name) | \(Self.short(final?.validationLoss)) | \(Self.short(run.bestValidationLoss)) | "
                    + "\(final?.relativeL2.map(StudyVerdict.percent) ?? "—") | \(Self.short(final?.validationRmse)) | "
                    + "\(run.batches) | \(run.trainingRate.map { String(format: "%.0f", $0) } ?? "—") | "
                    + "\(StudyVerdict.duration(run.wallSeconds)) | \(run.busy.map(StudyVerdict.percent) ?? "—") | "
                    + "\(StudyVerdict.bytes(run.bytesWritten)) |")
        }
        return lines.joined(separator: "\n")
    }

    /// The paper's three claims, each with its verdict on these runs.
    public var verdicts: [String] {
        var result: [String] = []
        if let fifo = run("fifo")?.final?.validationLoss {
            let others = ["firo", "reservoir"].compactMap { run($0)?.final?.validationLoss }
            if let best = others.min() {
                let ratio = fifo / best
                result.append(
                    "FIFO overfits: "
                        + (ratio >= 1.5 ? "holds" : "does not hold")
                        + String(format: " (FIFO's validation loss is %.2f× the best of FIRO and Reservoir)", ratio))
            }
        }
        if let reservoir = run("reservoir"), let fifo = run("fifo"), let r = reservoir.wallRate, let f = fifo.wallRate,
            f > 0
        {
            let ratio = r / f
            result.append(
                "Reservoir multiplies throughput: "
                    + (ratio >= 1.5 ? "holds" : "does not hold")
                    + String(format: " (%.1f× the samples trained per second of FIFO)", ratio))
        }
        if let reservoir = run("reservoir"), let offline = run("offline"), let online = reservoir.final?.relativeL2 {
            let atTime = offline.bestRelativeL2(bySeconds: reservoir.wallSeconds)
            let atBatches = offline.relativeL2(atBatch: reservoir.batches)
            var parts: [String] = []
            var holds = true
            if let atTime {
                parts.append(
                    "at equal wall time (\(StudyVerdict.duration(reservoir.wallSeconds))) offline reached "
                        + StudyVerdict.percent(atTime))
                holds = holds && online <= atTime
            } else {
                parts.append(
                    "offline had no validated model within the reservoir run's \(StudyVerdict.duration(reservoir.wallSeconds))"
                )
            }
            if let atBatches {
                parts.append("at equal batches (\(reservoir.batches)) \(StudyVerdict.percent(atBatches))")
                holds = holds && online <= 1.1 * atBatches
            }
            result.append(
                "Online matches or beats offline: " + (holds ? "holds" : "does not hold")
                    + " (reservoir \(StudyVerdict.percent(online)); " + parts.joined(separator: ", ") + ")")
        }
        return result
    }

    /// The validation loss of every run against wall time (offline from its data's production) or batches.
    public func chart(againstTime: Bool) -> LineChart {
        LineChart(
            title: "validation loss against " + (againstTime ? "wall time" : "batches"),
            xLabel: againstTime ? "seconds since the first simulation" : "batches", yLabel: "MSE (normalised)",
            series: runs.map { run in
                .init(
                    name: run.name,
                    points: run.metrics.compactMap { m in
                        m.validationLoss.map { (againstTime ? m.seconds + run.offsetSeconds : Double(m.batch), $0) }
                    })
            }, logarithmicY: true, width: 640, height: 360)
    }

    /// `comparison.md`: the table, the verdicts and the two plots (SVG files beside it).
    public func markdown(study: String) -> String {
        """
        # \(study): online (FIFO, FIRO, Reservoir) against offline

        Same study, seed, simulations, network and validation; \(runs.count) runs, one after the other on this \
        machine (`melissa compare`). Wall time counts from the first simulation's submission to the trained model \
        (offline: the simulations writing their data, then the training).

        \(table)

        \(verdicts.map { "- " + $0 }.joined(separator: "\n"))

        ![validation loss against wall time](comparison-time.svg)
        ![validation loss against batches](comparison-batches.svg)

        """
    }

    static func number(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "" }
        return String(format: "%.6g", value)
    }

    static func short(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "—" }
        return String(format: "%.4g", value)
    }
}
