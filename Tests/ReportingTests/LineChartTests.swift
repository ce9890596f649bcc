import Foundation
import FoundationXML
import Testing

@testable import Reporting

@Test func aChartIsWellFormedSVG() throws {
    let chart = LineChart(
        title: "loss <train & validation>", xLabel: "batches", yLabel: "MSE",
        series: [
            .init(name: "train", points: (1...50).map { (Double($0), 1 / Double($0)) }),
            .init(name: "validation", points: (1...5).map { (Double($0 * 10), 2 / Double($0 * 10)) }),
        ], markers: [.init(x: 25, label: "end of reception")], levels: [(0.5, "target")], logarithmicY: true)
    let svg = chart.svg()
    let document = try XMLDocument(data: Data(svg.utf8))
    #expect(document.rootElement()?.name == "svg")
    #expect(svg.contains("loss &lt;train &amp; validation&gt;"))
    #expect(try document.nodes(forXPath: "//*[local-name()='polyline']").count == 2)
}

@Test func ticksAreNice() {
    let axis = Axis(values: [0, 937], logarithmic: false)
    #expect(axis.ticks() == [0, 200, 400, 600, 800, 1000])
    #expect(Axis(values: [0.003, 2.5], logarithmic: true).ticks() == [0.001, 0.01, 0.1, 1, 10])
    #expect(Axis.label(1500) == "1500" && Axis.label(0.25) == "0.25" && Axis.label(2e6) == "2e+06")
}
