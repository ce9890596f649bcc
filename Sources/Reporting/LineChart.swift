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

    /// The chart as an SVG document.
    public func svg() -> String {
        let left = 70.0
        let right = 20.0
        let top = 40.0
        let bottom = 60.0 + 18.0 * Double((series.count + 2) / 3)
        let plotWidth = width - left - right
        let plotHeight = height - top - bottom
        let xs = series.flatMap { $0.points.map(\.x) } + markers.map(\.x)
        let ys = series.flatMap { $0.points.map(\.y) }.filter { !logarithmicY || $0 > 0 } + levels.map(\.y)
        let xAxis = Axis(values: xs, logarithmic: false)
        let yAxis = Axis(values: ys, logarithmic: logarithmicY, includeZero: !logarithmicY)
        func px(_ x: Double) -> Double { left + xAxis.fraction(x) * plotWidth }
        func py(_ y: Double) -> Double { top + (1 - yAxis.fraction(y)) * plotHeight }

        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Self.f(width))" height="\(Self.f(height))" \
            viewBox="0 0 \(Self.f(width)) \(Self.f(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(Self.f(width / 2))" y="22" text-anchor="middle" font-size="15" font-weight="bold">\
            \(Self.escape(title))</text>

            """
        for tick in yAxis.ticks() {
            let y = py(tick)
            out +=
                "<line x1=\"\(Self.f(left))\" y1=\"\(Self.f(y))\" x2=\"\(Self.f(left + plotWidth))\" y2=\"\(Self.f(y))\" "
            out += "stroke=\"#e5e5e5\"/>\n"
            out +=
                "<text x=\"\(Self.f(left - 6))\" y=\"\(Self.f(y + 4))\" text-anchor=\"end\">\(Axis.label(tick))</text>\n"
        }
        for tick in xAxis.ticks() {
            let x = px(tick)
            out +=
                "<line x1=\"\(Self.f(x))\" y1=\"\(Self.f(top))\" x2=\"\(Self.f(x))\" y2=\"\(Self.f(top + plotHeight))\" "
            out += "stroke=\"#f0f0f0\"/>\n"
            out += "<text x=\"\(Self.f(x))\" y=\"\(Self.f(top + plotHeight + 16))\" text-anchor=\"middle\">"
            out += "\(Axis.label(tick))</text>\n"
        }
        out += "<rect x=\"\(Self.f(left))\" y=\"\(Self.f(top))\" width=\"\(Self.f(plotWidth))\" "
        out += "height=\"\(Self.f(plotHeight))\" fill=\"none\" stroke=\"#444\"/>\n"
        for level in levels {
            let y = py(level.y)
            out +=
                "<line x1=\"\(Self.f(left))\" y1=\"\(Self.f(y))\" x2=\"\(Self.f(left + plotWidth))\" y2=\"\(Self.f(y))\" "
            out += "stroke=\"#888\" stroke-dasharray=\"6 4\"/>\n"
            out +=
                "<text x=\"\(Self.f(left + plotWidth - 4))\" y=\"\(Self.f(y - 4))\" text-anchor=\"end\" fill=\"#555\">"
            out += "\(Self.escape(level.label))</text>\n"
        }
        for marker in markers {
            let x = px(marker.x)
            out +=
                "<line x1=\"\(Self.f(x))\" y1=\"\(Self.f(top))\" x2=\"\(Self.f(x))\" y2=\"\(Self.f(top + plotHeight))\" "
            out += "stroke=\"#999\" stroke-dasharray=\"2 3\"/>\n"
            out += "<text x=\"\(Self.f(x + 4))\" y=\"\(Self.f(top + plotHeight - 8))\" fill=\"#555\">"
            out += "\(Self.escape(marker.label))</text>\n"
        }
        for (index, line) in series.enumerated() {
            let color = line.color ?? Self.palette[index % Self.palette.count]
            let points = line.points.filter { !logarithmicY || $0.y > 0 }
                .map { "\(Self.f(px($0.x))),\(Self.f(py($0.y)))" }.joined(separator: " ")
            let dash = line.dashed ? " stroke-dasharray=\"7 5\"" : ""
            out += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.8\"\(dash) points=\"\(points)\"/>\n"
            let column = Double(index % 3)
            let row = Double(index / 3)
            let lx = left + column * (plotWidth / 3)
            let ly = top + plotHeight + 52 + row * 18
            out +=
                "<line x1=\"\(Self.f(lx))\" y1=\"\(Self.f(ly - 4))\" x2=\"\(Self.f(lx + 22))\" y2=\"\(Self.f(ly - 4))\" "
            out += "stroke=\"\(color)\" stroke-width=\"2.5\"\(dash)/>\n"
            out += "<text x=\"\(Self.f(lx + 28))\" y=\"\(Self.f(ly))\">\(Self.escape(line.name))</text>\n"
        }
        out +=
            "<text x=\"\(Self.f(left + plotWidth / 2))\" y=\"\(Self.f(top + plotHeight + 30))\" text-anchor=\"middle\" "
        out += "fill=\"#333\">\(Self.escape(xLabel))</text>\n"
        out += "<text transform=\"translate(16 \(Self.f(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\" "
        out += "fill=\"#333\">\(Self.escape(yLabel))</text>\n"
        out += "</svg>\n"
        return out
    }

    static func f(_ value: Double) -> String { String(format: "%.1f", value) }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
