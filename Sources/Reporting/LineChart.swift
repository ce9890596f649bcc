import Foundation

/// A line chart rendered as a self-contained SVG file: training curves, buffer populations, throughput.
///
/// Plain SVG with no script or external font, so it shows in a browser, on GitHub, and in a report.
public struct LineChart: Sendable {
    /// One line of the chart.
    public struct Series: Sendable {
        /// The legend's label.
        public var name: String
        /// Points in data coordinates, drawn in order.
        public var points: [(x: Double, y: Double)]
        /// A CSS colour; nil picks the next of the palette.
        public var color: String?
        /// Drawn dashed, so that a line lying on another stays visible.
        public var dashed: Bool

        /// Creates a series.
        public init(name: String, points: [(x: Double, y: Double)], color: String? = nil, dashed: Bool = false) {
            self.name = name
            self.points = points
            self.color = color
            self.dashed = dashed
        }
    }

    /// A vertical line marking an event (e.g. the end of reception).
    public struct Marker: Sendable {
        /// Where, in data coordinates.
        public var x: Double
        /// The label written beside it.
        public var label: String

        /// Creates a marker.
        public init(x: Double, label: String) {
            self.x = x
            self.label = label
        }
    }

    /// The title above the plot.
    public var title: String
    /// The x axis's label.
    public var xLabel: String
    /// The y axis's label.
    public var yLabel: String
    /// The lines.
    public var series: [Series]
    /// Vertical event markers.
    public var markers: [Marker]
    /// Horizontal reference lines (e.g. capacity, watermark), with labels.
    public var levels: [(y: Double, label: String)]
    /// A logarithmic y axis (losses).
    public var logarithmicY: Bool
    /// Size in pixels.
    public var width: Double
    /// Size in pixels.
    public var height: Double

    /// The default palette (colour-blind safe, Okabe–Ito).
    public static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]

    /// Creates a chart.
    public init(
        title: String, xLabel: String, yLabel: String, series: [Series], markers: [Marker] = [],
        levels: [(y: Double, label: String)] = [], logarithmicY: Bool = false, width: Double = 720, height: Double = 360
    ) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.markers = markers
        self.levels = levels
        self.logarithmicY = logarithmicY
        self.width = width
        self.height = height
    }

    /// The chart as an SVG document. It holds up on any data: no point at all (it says "no data yet"), one point
    /// (drawn as a dot), a constant series, NaN and infinities (left out), and many decades on a logarithmic axis.
    public func svg() -> String {
        let left = 70.0
        let top = 40.0
        let bottom = 60.0 + 18.0 * Double((series.count + 2) / 3)
        let xs = series.flatMap { $0.points.map(\.x) } + markers.map(\.x)
        let ys = series.flatMap { $0.points.map(\.y) } + levels.map(\.y)
        let area = PlotArea(
            left: left, top: top, width: width - left - 20, height: height - top - bottom,
            x: Axis(values: xs, logarithmic: false),
            y: Axis(values: ys, logarithmic: logarithmicY, includeZero: !logarithmicY))
        var out = SVG.open(width: width, height: height, title: title)
        out += area.frame(xLabel: xLabel, yLabel: yLabel)
        out += decorations(area)
        var drawn = 0
        for (index, line) in series.enumerated() {
            let color = line.color ?? Self.palette[index % Self.palette.count]
            let placed = line.points.filter { area.x.accepts($0.x) && area.y.accepts($0.y) }
            drawn += placed.count
            out += Self.path(placed, area: area, color: color, dashed: line.dashed)
            out += legend(index: index, name: line.name, color: color, dashed: line.dashed, area: area)
        }
        if drawn == 0 { out += area.noData() }
        return out + "</svg>\n"
    }

    private func decorations(_ area: PlotArea) -> String {
        var out = ""
        for level in levels where area.y.accepts(level.y) {
            out += SVG.line(
                area.left, area.py(level.y), area.left + area.width, area.py(level.y),
                "stroke=\"#888\" stroke-dasharray=\"6 4\"")
            out += SVG.text(
                area.left + area.width - 4, area.py(level.y) - 4, level.label,
                "text-anchor=\"end\" fill=\"#555\"")
        }
        for marker in markers where area.x.accepts(marker.x) {
            out += SVG.line(
                area.px(marker.x), area.top, area.px(marker.x), area.top + area.height,
                "stroke=\"#999\" stroke-dasharray=\"2 3\"")
            out += SVG.text(area.px(marker.x) + 4, area.top + area.height - 8, marker.label, "fill=\"#555\"")
        }
        return out
    }

    private static func path(_ placed: [(x: Double, y: Double)], area: PlotArea, color: String, dashed: Bool) -> String
    {
        if placed.count == 1, let only = placed.first {
            return
                "<circle cx=\"\(SVG.f(area.px(only.x)))\" cy=\"\(SVG.f(area.py(only.y)))\" r=\"3\" fill=\"\(color)\"/>\n"
        }
        guard !placed.isEmpty else { return "" }
        let points = placed.map { "\(SVG.f(area.px($0.x))),\(SVG.f(area.py($0.y)))" }.joined(separator: " ")
        let dash = dashed ? " stroke-dasharray=\"7 5\"" : ""
        return "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.8\"\(dash) points=\"\(points)\"/>\n"
    }

    private func legend(index: Int, name: String, color: String, dashed: Bool, area: PlotArea) -> String {
        let lx = area.left + Double(index % 3) * (area.width / 3)
        let ly = area.top + area.height + 52 + Double(index / 3) * 18
        let dash = dashed ? " stroke-dasharray=\"7 5\"" : ""
        return SVG.line(lx, ly - 4, lx + 22, ly - 4, "stroke=\"\(color)\" stroke-width=\"2.5\"\(dash)")
            + SVG.text(lx + 28, ly, name)
    }
}
