import Foundation
import Reporting

/// The plots a finished (or running) study shows: losses and the buffer over batches, as SVG files.
public struct TrainingReport {
    /// The metrics file read.
    public let metricsURL: URL
    /// Where the plots go.
    public let directory: URL

    /// A report of `metricsURL` into `directory`.
    public init(metricsURL: URL, directory: URL) throws {
        self.metricsURL = metricsURL
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// Writes `loss.svg`, `buffer.svg` and `throughput.svg`.
    public func write(study: String, capacity: Int, watermark: Int) throws {
        let records = MetricsLog.read(metricsURL)
        let train = records.filter { $0.trainLoss > 0 }.map { (Double($0.batch), $0.trainLoss) }
        let validation = records.compactMap { record in record.validationLoss.map { (Double(record.batch), $0) } }
        let loss = LineChart(
            title: "\(study): loss", xLabel: "batches", yLabel: "MSE (normalised)",
            series: [.init(name: "training", points: train), .init(name: "validation", points: validation)],
            logarithmicY: true)
        let buffer = LineChart(
            title: "\(study): training buffer", xLabel: "batches", yLabel: "samples",
            series: [
                .init(name: "population", points: records.map { (Double($0.batch), Double($0.population)) }),
                .init(name: "received", points: records.map { (Double($0.batch), Double($0.received)) }),
            ], levels: [(Double(capacity), "capacity"), (Double(watermark), "watermark")])
        let throughput = LineChart(
            title: "\(study): training throughput", xLabel: "seconds", yLabel: "samples trained per second",
            series: [.init(name: "samples/s", points: records.map { ($0.seconds, $0.samplesPerSecond) })])
        for (name, chart) in [("loss", loss), ("buffer", buffer), ("throughput", throughput)] {
            try chart.svg().write(
                to: directory.appendingPathComponent("\(name).svg"), atomically: true, encoding: .utf8)
        }
    }
}
