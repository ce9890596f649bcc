import ArgumentParser
import Buffers
import Foundation
import Reporting

/// `melissa-bench buffer-trace`: draws the figures of docs/buffers.md from real buffers.
struct BufferTraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "buffer-trace",
        abstract: "Trace FIFO, FIRO and reservoir between a steady producer and a trainer; write SVG plots.",
        discussion: """
            Each tick the simulations offer --production new samples (while reception lasts) and the trainer asks \
            for one batch. Writes buffer-population.svg and buffer-trained.svg into --out, and prints a summary.
            """
    )

    @Option(help: "Directory for the SVG files.")
    var out = "docs/images"
    @Option(help: "Samples the buffer holds.")
    var capacity = 600
    @Option(help: "Population at which reads start.")
    var watermark = 200
    @Option(help: "Samples produced per tick while reception lasts.")
    var production = 4
    @Option(help: "Ticks of reception.")
    var reception = 400
    @Option(help: "Samples per batch (one batch per tick).")
    var batch = 10

    func run() throws {
        let traces = BufferPolicy.allCases.map { policy in
            BufferTrace(
                policy: policy, capacity: capacity, watermark: watermark, productionPerTick: production,
                receptionTicks: reception, batchSize: batch)
        }
        let names: [BufferPolicy: String] = [.fifo: "FIFO", .firo: "FIRO", .reservoir: "Reservoir"]
        let population = LineChart(
            title: "Buffer population over time",
            xLabel: "time (ticks; \(production) samples produced and one batch of \(batch) asked per tick)",
            yLabel: "samples held",
            series: traces.map { trace in
                .init(
                    name: names[trace.policy] ?? "",
                    points: trace.ticks.map { (Double($0.time), Double($0.population)) },
                    dashed: trace.policy == .firo)
            },
            markers: [.init(x: Double(reception), label: "end of reception: drain")],
            levels: [(Double(capacity), "capacity"), (Double(watermark), "watermark")])
        let trained = LineChart(
            title: "Samples trained on (with repeats)",
            xLabel: "time (ticks)", yLabel: "samples read by the trainer",
            series: traces.map { trace in
                .init(
                    name: names[trace.policy] ?? "", points: trace.ticks.map { (Double($0.time), Double($0.trained)) },
                    dashed: trace.policy == .firo)
            },
            markers: [.init(x: Double(reception), label: "end of reception")])
        let directory = URL(fileURLWithPath: out, isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try population.svg().write(
            to: directory.appendingPathComponent("buffer-population.svg"), atomically: true, encoding: .utf8)
        try trained.svg().write(
            to: directory.appendingPathComponent("buffer-trained.svg"), atomically: true, encoding: .utf8)
        print("policy      ticks  received  trained  distinct  evictions  lost unseen")
        for trace in traces {
            let last = trace.ticks[trace.ticks.count - 1]
            let name = (names[trace.policy] ?? "").padding(toLength: 10, withPad: " ", startingAt: 0)
            print(
                "\(name)  \(pad(last.time + 1, 5))  \(pad(last.received, 8))  \(pad(last.trained, 7))  "
                    + "\(pad(last.distinctTrained, 8))  \(pad(trace.statistics.evictions, 9))  "
                    + "\(pad(trace.statistics.lostUnseen, 11))")
        }
        print("wrote \(directory.path)/buffer-population.svg and buffer-trained.svg")
    }

    private func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: " ", count: max(0, width - text.count)) + text
    }
}
