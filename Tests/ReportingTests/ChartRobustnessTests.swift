import Foundation
import FoundationXML
import Testing

@testable import Reporting

/// Every chart holds up on awkward data: no point, one point, a constant series, NaN, huge ranges.
@Suite struct ChartRobustnessTests {
    static func parsed(_ svg: String) throws -> XMLDocument {
        try XMLDocument(data: Data(svg.utf8))
    }

    static func count(_ element: String, in svg: String) throws -> Int {
        try parsed(svg).nodes(forXPath: "//*[local-name()='\(element)']").count
    }

    @Test func aLossChartWithNoDataSaysSoWithAHandfulOfTicks() throws {
        let chart = LineChart(
            title: "loss", xLabel: "batches", yLabel: "MSE", series: [.init(name: "training", points: [])],
            logarithmicY: true)
        let svg = chart.svg()
        #expect(svg.contains("no data yet"))
        // Before: the empty logarithmic axis spanned 1e-300…1 and drew 300 tick labels.
        #expect(try Self.count("text", in: svg) < 20)
    }

    @Test func aLogarithmicAxisOverSixtyDecadesGetsAtMostSevenTicksPlusOne() {
        let axis = Axis(values: [1e-30, 1e30], logarithmic: true)
        #expect(axis.ticks().count <= Axis.maximumTicks + 1)
        #expect(axis.ticks().first == 1e-30)
    }

    @Test func constantHugeAndNonFiniteSeriesGiveAFiniteOrderedAxis() {
        for values in [[5.0, 5, 5], [0, 0], [-1e308, 1e308], [.nan, .infinity, 3], [], [.nan]] {
            let axis = Axis(values: values, logarithmic: false)
            #expect(axis.low.isFinite && axis.high.isFinite && axis.low < axis.high, "\(values)")
            #expect((2...12).contains(axis.ticks().count), "\(values): \(axis.ticks())")
        }
        let log = Axis(values: [0, -3, .nan], logarithmic: true)
        #expect(log.low < log.high)
    }

    @Test func onePointIsADotAndNaNPointsAreLeftOut() throws {
        let single = LineChart(
            title: "one", xLabel: "x", yLabel: "y", series: [.init(name: "a", points: [(1, 2)])]
        ).svg()
        #expect(try Self.count("circle", in: single) == 1)
        let holes = LineChart(
            title: "holes", xLabel: "x", yLabel: "y",
            series: [.init(name: "a", points: [(1, 2), (2, .nan), (3, 4), (.infinity, 1)])], logarithmicY: true
        ).svg()
        #expect(!holes.lowercased().contains("nan") && !holes.contains("inf"))
        #expect(try Self.count("polyline", in: holes) == 1)
    }

    @Test func aHeatMapEmbedsItsFieldAsAPNGAndHoldsUpOnConstantAndNaNFields() throws {
        let field = (0..<(20 * 30)).map { Float($0 % 30) }
        for values in [field, [Float](repeating: 300, count: 600), [Float](repeating: .nan, count: 600)] {
            let svg = HeatMap(title: "temperature", values: values, rows: 20, columns: 30, unit: "K").svg()
            #expect(try Self.count("image", in: svg) == 1)
            #expect(svg.contains("href=\"data:image/png;base64,"))
            #expect(!svg.lowercased().contains(">nan<"))
        }
        let wrongSize = HeatMap(title: "t", values: [1, 2, 3], rows: 2, columns: 2).svg()
        #expect(wrongSize.contains("no data yet"))
        #expect(HeatMap.range(of: [4, 4]) == 3.5...4.5)
    }

    @Test func histogramsAndScatterPlotsAreWellFormedAndSayWhenEmpty() throws {
        let histogram = Histogram(
            title: "reads", xLabel: "times read", yLabel: "samples",
            bins: (0..<40).map { .init(label: "\($0)", count: $0 * $0) })
        #expect(try Self.count("rect", in: histogram.svg()) >= 40)
        #expect(Histogram(title: "reads", xLabel: "", yLabel: "", bins: []).svg().contains("no data yet"))
        let scatter = ScatterPlot(
            title: "parameters", xLabel: "T0", yLabel: "T1",
            points: [
                .init(x: 1, y: 2, category: "done", label: "#0"), .init(x: 3, y: 1, category: "failed", label: "#1"),
                .init(x: 2, y: .nan, category: "done", label: "#2"),
            ], categoryColors: [("done", "#009E73"), ("failed", "#C0392B")])
        let svg = scatter.svg()
        #expect(try Self.count("circle", in: svg) == 2 + 2)  // two placed points, two legend entries
        #expect(ScatterPlot(title: "p", xLabel: "", yLabel: "", points: []).svg().contains("no data yet"))
    }
}

@Test func emptyHistogramBinsDrawNoBarBelowTheAxis() {
    let svg = Histogram(
        title: "reads", xLabel: "", yLabel: "", bins: [.init(label: "0", count: 0), .init(label: "1", count: 0)]
    ).svg()
    #expect(svg.contains("no data yet"))
    // Bars of zero samples have zero height; before, the axis ran from −1 and they filled its lower half.
    let heights = svg.split(separator: "<rect").filter { $0.contains("<title>") }.compactMap { bar in
        bar.split(separator: "height=\"").dropFirst().first?.split(separator: "\"").first.map(String.init)
    }
    #expect(heights == ["0.0", "0.0"])
}
