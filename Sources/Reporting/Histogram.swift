import Foundation

/// Counts drawn as bars, as a self-contained SVG: how often buffered samples were read, error distributions.
public struct Histogram: Sendable {
    /// One bar.
    public struct Bin: Sendable {
        /// The bar's label under the axis (`"0"`, `"1"`, `"2–3"`, …).
        public var label: String
        /// How many fall in it.
        public var count: Int

        /// Creates a bin.
        public init(label: String, count: Int) {
            self.label = label
            self.count = count
        }
    }

    /// The title above the chart.
    public var title: String
    /// What the bins count.
    public var xLabel: String
    /// What the bar heights are.
    public var yLabel: String
    /// The bars, left to right.
    public var bins: [Bin]
    /// Size in pixels.
    public var width: Double
    /// Size in pixels.
    public var height: Double

    /// Creates a histogram.
    public init(title: String, xLabel: String, yLabel: String, bins: [Bin], width: Double = 480, height: Double = 300) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.bins = bins
        self.width = width
        self.height = height
    }

    /// The chart as an SVG document ("no data yet" when every bin is empty).
    public func svg() -> String {
        let area = PlotArea(
            left: 70, top: 40, width: width - 90, height: height - 100,
            x: Axis(values: [0, Double(max(bins.count, 1))], logarithmic: false),
            y: Axis(values: bins.map { Double($0.count) } + [0, 1], logarithmic: false))
        var out = SVG.open(width: width, height: height, title: title)
        for tick in area.y.ticks() {
            out += SVG.line(area.left, area.py(tick), area.left + area.width, area.py(tick), "stroke=\"#e5e5e5\"")
            out += SVG.text(area.left - 6, area.py(tick) + 4, Axis.label(tick), "text-anchor=\"end\"")
        }
        let slot = area.width / Double(max(bins.count, 1))
        let every = max(1, bins.count / 12)
        for (index, bin) in bins.enumerated() {
            let x = area.left + Double(index) * slot
            let top = area.py(Double(bin.count))
            out += "<rect x=\"\(SVG.f(x + slot * 0.1))\" y=\"\(SVG.f(top))\" width=\"\(SVG.f(slot * 0.8))\" "
            out += "height=\"\(SVG.f(max(0, area.py(0) - top)))\" fill=\"\(LineChart.palette[0])\">"
            out += "<title>\(SVG.escape(bin.label)): \(bin.count)</title></rect>\n"
            if index % every == 0 {
                out += SVG.text(x + slot / 2, area.top + area.height + 16, bin.label, "text-anchor=\"middle\"")
            }
        }
        out += "<rect x=\"\(SVG.f(area.left))\" y=\"\(SVG.f(area.top))\" width=\"\(SVG.f(area.width))\" "
        out += "height=\"\(SVG.f(area.height))\" fill=\"none\" stroke=\"#444\"/>\n"
        out += SVG.text(area.left + area.width / 2, area.top + area.height + 34, xLabel, "text-anchor=\"middle\"")
        out += "<text transform=\"translate(16 \(SVG.f(area.top + area.height / 2))) rotate(-90)\" "
        out += "text-anchor=\"middle\">\(SVG.escape(yLabel))</text>\n"
        if bins.allSatisfy({ $0.count == 0 }) { out += area.noData() }
        return out + "</svg>\n"
    }
}
