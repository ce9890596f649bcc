import Foundation
import PlanModel
import Reporting
import Sampling
import Server

/// `report/index.html`: one self-contained page on what a study produced, with a verdict (docs/report.md).
public struct StudyReportPage {
    /// The study read.
    public let record: StudyRecord
    /// The melissa version written in the study facts.
    public let version: String

    /// The verdict the page opens with (also what `melissa launch` prints).
    public let verdict: StudyVerdict
    /// The surrogate's predictions on the excerpt, computed once for the verdict and the prediction section.
    let check: PredictionCheck?

    /// The page of `record`.
    public init(record: StudyRecord, version: String) {
        self.record = record
        self.version = version
        check = PredictionCheck(excerpt: record.excerpt, model: record.model)
        verdict = StudyVerdict(record, check: check)
    }

    /// Writes `report/index.html` into the study directory (atomically) and returns its URL.
    @discardableResult
    public func write() throws -> URL {
        let directory = record.directory.appendingPathComponent("report")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent("index.html")
        try html().write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// The page.
    public func html(now: Date = Date()) -> String {
        var page = HTMLPage(title: "melissa · \(record.plan.studyName)")
        page.verdict(verdict.headline, tone: verdict.tone, reasons: verdict.reasons, figures: verdict.figures)
        curves(&page)
        buffer(&page)
        PredictionSection(record: record, check: check).write(into: &page)
        simulations(&page)
        facts(&page)
        let stamp = ISO8601DateFormatter().string(from: now)
        return page.html(generated: "written \(stamp) by melissa \(version) from \(record.directory.path)")
    }

    private func curves(_ page: inout HTMLPage) {
        let metrics = record.metrics
        page.section("curves", "Training curves", note: "Losses are mean squared errors of the normalised outputs.")
        let train = metrics.filter { $0.trainLoss > 0 }
        let validated = metrics.filter { $0.validationLoss != nil }
        func loss(_ x: (MetricsRecord) -> Double, _ label: String) -> String {
            LineChart(
                title: "loss against \(label)", xLabel: label, yLabel: "MSE (normalised)",
                series: [
                    .init(name: "training", points: train.map { (x($0), $0.trainLoss) }),
                    .init(name: "validation", points: validated.map { (x($0), $0.validationLoss ?? .nan) }),
                ], logarithmicY: true, width: 560, height: 320
            ).svg()
        }
        page.figures([loss({ Double($0.batch) }, "batches"), loss({ $0.seconds }, "seconds")])
        var relativeSeries: [LineChart.Series] = [
            .init(
                name: "relative L2", points: metrics.compactMap { m in m.relativeL2.map { (Double(m.batch), $0) } })
        ]
        let baseline = metrics.compactMap { m in m.baselineRelativeL2.map { (Double(m.batch), $0) } }
        if !baseline.isEmpty {
            relativeSeries.append(.init(name: "mean training field (baseline)", points: baseline, dashed: true))
        }
        let relative = LineChart(
            title: "validation relative L2", xLabel: "batches", yLabel: "‖prediction − truth‖ / ‖truth‖",
            series: relativeSeries, logarithmicY: true, width: 560, height: 320)
        let rate = LineChart(
            title: "learning rate", xLabel: "batches", yLabel: "learning rate",
            series: [.init(name: "learning rate", points: metrics.map { (Double($0.batch), $0.learningRate) })],
            logarithmicY: true, width: 560, height: 320)
        page.figures([relative.svg(), rate.svg()])
        if let final = metrics.last(where: { $0.relativeL2ByStep != nil }), let byStep = final.relativeL2ByStep {
            let points = byStep.enumerated().compactMap { step, value in value.map { (Double(step), $0) } }
            let chart = LineChart(
                title: "relative L2 per time step, at the end", xLabel: "time step",
                yLabel: "‖prediction − truth‖ / ‖truth‖",
                series: [.init(name: "exported model", points: points)], logarithmicY: true, width: 760,
                height: 300)
            page.figures([chart.svg()])
        }
    }

    private func buffer(_ page: inout HTMLPage) {
        let spec = record.plan.server.buffer
        page.section(
            "buffer", "The training buffer",
            note: "\(spec.policy.rawValue) buffer of \(spec.capacity) samples per training rank; training starts at "
                + "\(spec.watermark).")
        let chart = LineChart(
            title: "buffer population and samples received", xLabel: "seconds", yLabel: "samples",
            series: [
                .init(name: "population", points: record.metrics.map { ($0.seconds, Double($0.population)) }),
                .init(name: "received", points: record.metrics.map { ($0.seconds, Double($0.received)) }),
                .init(name: "trained (with repeats)", points: record.metrics.map { ($0.seconds, Double($0.trained)) }),
            ], levels: [(Double(spec.capacity), "capacity"), (Double(spec.watermark), "watermark")],
            width: 760, height: 340)
        if record.excerpt?.readCounts.isEmpty == false {
            page.figures([chart.svg(), readCounts()])
        } else {
            page.figures([chart.svg()])
            page.paragraph(
                "How often each sample was read is not recorded yet (the server writes it at each validation).")
        }
    }

    private func readCounts() -> String {
        let counts = record.excerpt?.readCounts ?? [:]
        let highest = counts.keys.max() ?? 0
        let bins: [Histogram.Bin]
        if highest <= 24 {
            bins = (0...max(highest, 1)).map { .init(label: "\($0)", count: counts[$0] ?? 0) }
        } else {
            // Powers of two past 24 reads: 0, 1, 2–3, 4–7, …
            var edges = [0, 1]
            while (edges.last ?? 0) <= highest { edges.append((edges.last ?? 1) * 2) }
            bins = zip(edges, edges.dropFirst()).map { low, high in
                .init(
                    label: high - low == 1 ? "\(low)" : "\(low)–\(high - 1)",
                    count: counts.filter { $0.key >= low && $0.key < high }.values.reduce(0, +))
            }
        }
        return Histogram(
            title: "how often each sample was read", xLabel: "times read", yLabel: "samples", bins: bins,
            width: 420, height: 340
        ).svg()
    }

    private func simulations(_ page: inout HTMLPage) {
        let plan = record.plan
        page.section("simulations", "Simulations")
        let names = plan.parameters.map(\.name)
        var rows: [[String]] = []
        var points: [ScatterPlot.Point] = []
        var origins: [ScatterPlot.Point] = []
        for simulation in plan.simulations {
            let jobs = record.jobs[simulation.id] ?? []
            let state = record.state(of: simulation.id)
            let runtime = jobs.last.map { String(format: "%.1f s", $0.updatedAt.timeIntervalSince($0.submittedAt)) }
            // What it ran with: a redraw's or an adaptive slot's chosen values, else the plan's.
            let values = record.values[simulation.id] ?? simulation.values
            rows.append(
                ["\(simulation.id)", simulation.role.rawValue] + values.map(Self.shown)
                    + [state, "\(jobs.count)", runtime ?? "—"])
            let numbers = values.compactMap(Self.number)
            if numbers.count >= 2 {
                points.append(
                    .init(
                        x: numbers[0], y: numbers[1], category: state,
                        label: "#\(simulation.id) \(simulation.role.rawValue): \(state)"))
            }
            // One parameter: against the simulation's id (the order the sets were chosen in).
            if plan.adaptive != nil, let x = numbers.first {
                let origin = Self.origin(of: simulation, in: record)
                if origin != "not chosen" {
                    origins.append(
                        .init(
                            x: x, y: numbers.count >= 2 ? numbers[1] : Double(simulation.id), category: origin,
                            label: "#\(simulation.id): \(origin)"))
                }
            }
        }
        if plan.adaptive != nil, let first = names.first {
            let scatter = ScatterPlot(
                title: "adaptive sampling: where each set came from", xLabel: first,
                yLabel: names.count >= 2 ? names[1] : "simulation", points: origins,
                categoryColors: [
                    ("initial design", "#0072B2"), ("space-filling", "#56B4E9"), ("bred", "#E69F00"),
                    ("given up", "#C0392B"), ("validation", "#999999"),
                ])
            page.figures(
                [scatter.svg()],
                caption: "Bred sets were chosen around those the surrogate found hardest (the highest training loss); "
                    + "given-up sets stay in the proposer's state, bred around, never repeated (docs/active-sampling.md)."
            )
        }
        if names.count >= 2 {
            let scatter = ScatterPlot(
                title: "parameter sets by state", xLabel: names[0], yLabel: names[1], points: points,
                categoryColors: [
                    ("done", "#009E73"), ("running", "#0072B2"), ("pending", "#56B4E9"), ("failed", "#D55E00"),
                    ("given up", "#C0392B"), ("not submitted", "#999999"),
                ])
            page.figures([scatter.svg()], caption: "Each simulation's first two parameters, as it ran them.")
        }
        let header = ["id", "role"] + names + ["state", "attempts", "last attempt's runtime"]
        page.table(header, rows, numeric: Set([0]).union((0..<names.count).map { $0 + 2 }))
    }

    /// Where an adaptive study's simulation came from, for the report.
    static func origin(of simulation: SimulationJob, in record: StudyRecord) -> String {
        if simulation.role == .validation { return "validation" }
        if record.givenUp.contains(simulation.id) { return "given up" }
        if record.plan.adaptiveBatch(of: simulation.id) == 0 { return "initial design" }
        switch record.origins[simulation.id] {
        case "breed": return "bred"
        case "explore": return "space-filling"
        default: return "not chosen"
        }
    }

    /// A parameter value as the table shows it: reals to 6 significant digits.
    static func shown(_ value: ParameterValue) -> String {
        if case .real(let number) = value { return String(format: "%.6g", number) }
        return value.description
    }

    static func number(_ value: ParameterValue) -> Double? {
        switch value {
        case .real(let number): number
        case .integer(let number): Double(number)
        case .text: nil
        }
    }

    private func facts(_ page: inout HTMLPage) {
        let plan = record.plan
        let training = plan.server.training
        page.section("facts", "Study facts")
        let network =
            if let torch = training.pytorch, training.effectiveBackend == .pytorch {
                "PyTorch \(torch.model) of \((torch.module as NSString).lastPathComponent)"
            } else {
                "MLP \(training.model.hidden.map(String.init).joined(separator: " → ")) "
                    + "(\(training.model.activation.rawValue))"
            }
        let model =
            network + ", batch \(training.batchSize), "
            + "\(training.optimizer.kind.rawValue) at \(training.optimizer.learningRate)"
        page.facts([
            ("study", plan.studyName, nil),
            ("seed", "\(plan.server.seed)", nil),
            ("parameters", plan.parameters.map(\.name).joined(separator: ", "), nil),
            ("buffer", "\(plan.server.buffer.policy.rawValue), capacity \(plan.server.buffer.capacity)", nil),
            ("model", model, nil),
            ("training ranks", "\(plan.server.ranks)", nil),
            ("scheduler", plan.scheduler.rawValue, nil),
            ("melissa", version, nil),
            ("server command", plan.server.command.joined(separator: " "), nil),
            ("simulation command", plan.simulation.templates?.command ?? "—", nil),
            ("plan", "plan.json", "../plan.json"),
            ("metrics", "metrics.jsonl", "../metrics.jsonl"),
            ("logs", "logs/", "../logs/"),
        ])
    }
}
