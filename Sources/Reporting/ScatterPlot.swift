import Foundation

/// Points in a plane, coloured by category (a simulation's state) or by a value (its validation error), as a
/// self-contained SVG.
public struct ScatterPlot: Sendable {
    /// One point.
    public struct Point: Sendable {
        /// Where, in data coordinates.
        public var x: Double
        /// Where, in data coordinates.
        public var y: Double
        /// Its category (legend entry), used when `value` is nil.
        public var category: String
        /// A value on the colour scale; nil: coloured by category.
        public var value: Double?
        /// The tooltip.
        public var label: String

        /// Creates a point.
        public init(x: Double, y: Double, category: String = "", value: Double? = nil, label: String = "") {
            self.x = x
            self.y = y
            self.category = category
            self.value = value
            self.label = label
        }
    }

    /// The title above the chart.
    public var title: String
    /// The x axis's label.
    public var xLabel: String
    /// The y axis's label.
    public var yLabel: String
    /// The points.
    public var points: [Point]
    /// A colour per category, in legend order; a category not listed takes the next of the palette.
    public var categoryColors: [(name: String, color: String)]
    /// Size in pixels.
    public var width: Double
    /// Size in pixels.
    public var height: Double

    /// Creates a scatter plot.
    public init(
        title: String, xLabel: String, yLabel: String, points: [Point],
        categoryColors: [(name: String, color: String)] = [], width: Double = 480, height: Double = 380
    ) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.points = points
        self.categoryColors = categoryColors
        self.width = width
        self.height = height
    }

    /// The chart as an SVG document.
    public func svg() -> String {
        let area = PlotArea(
            left: 70, top: 40, width: width - 90, height: height - 110,
            x: Axis(values: points.map(\.x), logarithmic: false), y: Axis(values: points.map(\.y), logarithmic: false))
        var out = SVG.open(width: width, height: height, title: title)
        out += area.frame(xLabel: xLabel, yLabel: yLabel)
        var colors = categoryColors
        for point in points where point.value == nil && !colors.contains(where: { $0.name == point.category }) {
            colors.append((point.category, LineChart.palette[colors.count % LineChart.palette.count]))
        }
        let values = points.compactMap(\.value).filter(\.isFinite)
        let low = values.min() ?? 0
        let span = (values.max() ?? 1) - low
        let placed = points.filter { area.x.accepts($0.x) && area.y.accepts($0.y) }
        for point in placed {
            let color =
                point.value.map { ColorScale.viridis.css(span > 0 ? ($0 - low) / span : 0.5) }
                ?? colors.first { $0.name == point.category }?.color ?? "#000"
            out += "<circle cx=\"\(SVG.f(area.px(point.x)))\" cy=\"\(SVG.f(area.py(point.y)))\" r=\"4\" "
            out += "fill=\"\(color)\" fill-opacity=\"0.85\" stroke=\"#333\" stroke-width=\"0.5\">"
            out += "<title>\(SVG.escape(point.label))</title></circle>\n"
        }
        let used = colors.filter { entry in points.contains { $0.value == nil && $0.category == entry.name } }
        for (index, entry) in used.enumerated() {
            let lx = area.left + Double(index % 4) * (area.width / 4)
            let ly = area.top + area.height + 52 + Double(index / 4) * 16
            out += "<circle cx=\"\(SVG.f(lx + 5))\" cy=\"\(SVG.f(ly - 4))\" r=\"4\" fill=\"\(entry.color)\"/>\n"
            out += SVG.text(lx + 14, ly, entry.name)
        }
        if !values.isEmpty {
            out += SVG.text(
                area.left, area.top + area.height + 52,
                "colour: \(HeatMap.label(low)) (purple) to \(HeatMap.label(low + span)) (yellow)")
        }
        if placed.isEmpty { out += area.noData() }
        return out + "</svg>\n"
    }
}
