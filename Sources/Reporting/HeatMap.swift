import Foundation

/// A 2-D field drawn as an image with a colour bar, as a self-contained SVG (the image embedded as a PNG `data:` URI).
///
/// Values are row-major, `rows` × `columns` (a field declared `shape: [rows, columns]`). NaN shows grey; a constant
/// field shows its single colour; the range may be shared between maps (truth and prediction on one scale).
public struct HeatMap: Sendable {
    /// The title above the map.
    public var title: String
    /// The values, row-major.
    public var values: [Float]
    /// The mesh's rows.
    public var rows: Int
    /// The mesh's columns.
    public var columns: Int
    /// The colour bar's label (the field's name and unit).
    public var unit: String
    /// The values at the two ends of the colour scale; nil: the field's own finite minimum and maximum.
    public var range: ClosedRange<Double>?
    /// The colour scale.
    public var scale: ColorScale
    /// Size of the map in pixels (the colour bar is drawn beside it).
    public var size: Double

    /// Creates a heat map.
    public init(
        title: String, values: [Float], rows: Int, columns: Int, unit: String = "", range: ClosedRange<Double>? = nil,
        scale: ColorScale = .viridis, size: Double = 220
    ) {
        self.title = title
        self.values = values
        self.rows = rows
        self.columns = columns
        self.unit = unit
        self.range = range
        self.scale = scale
        self.size = size
    }

    /// The finite minimum and maximum of `values`, widened when they are equal; [0, 1] when there is none.
    public static func range(of values: [Float]) -> ClosedRange<Double> {
        let finite = values.lazy.filter(\.isFinite).map(Double.init)
        guard let low = finite.min(), let high = finite.max() else { return 0...1 }
        return high > low ? low...high : (low - 0.5)...(high + 0.5)
    }

    /// The map as an SVG document.
    public func svg() -> String {
        let range = self.range ?? Self.range(of: values)
        let span = range.upperBound - range.lowerBound
        let aspect = Double(rows) / Double(max(columns, 1))
        let mapWidth = aspect > 1 ? size / aspect : size
        let mapHeight = aspect > 1 ? size : size * aspect
        let width = mapWidth + 100
        let height = mapHeight + 50
        var out = SVG.open(width: width, height: height, title: title)
        guard rows > 0, columns > 0, values.count == rows * columns else {
            out += SVG.text(width / 2, height / 2, "no data yet", "text-anchor=\"middle\" fill=\"#888\"")
            return out + "</svg>\n"
        }
        var pixels = [UInt8]()
        pixels.reserveCapacity(values.count * 3)
        for value in values {
            let (r, g, b) = scale.color(span > 0 ? (Double(value) - range.lowerBound) / span : 0.5)
            pixels += [r, g, b]
        }
        let image = PNGImage(width: columns, height: rows, pixels: pixels)
        out += "<image x=\"10\" y=\"34\" width=\"\(SVG.f(mapWidth))\" height=\"\(SVG.f(mapHeight))\" "
        out += "preserveAspectRatio=\"none\" style=\"image-rendering:pixelated\" href=\"\(image.dataURI())\"/>\n"
        out += colorBar(x: mapWidth + 22, top: 34, height: mapHeight, range: range)
        return out + "</svg>\n"
    }

    private func colorBar(x: Double, top: Double, height: Double, range: ClosedRange<Double>) -> String {
        var out = ""
        let steps = 24
        for step in 0..<steps {
            let fraction = 1 - (Double(step) + 0.5) / Double(steps)
            out += "<rect x=\"\(SVG.f(x))\" y=\"\(SVG.f(top + Double(step) * height / Double(steps)))\" width=\"12\" "
            out += "height=\"\(SVG.f(height / Double(steps) + 0.5))\" fill=\"\(scale.css(fraction))\"/>\n"
        }
        out += SVG.text(x + 16, top + 10, Self.label(range.upperBound))
        out += SVG.text(x + 16, top + height / 2 + 4, Self.label((range.lowerBound + range.upperBound) / 2))
        out += SVG.text(x + 16, top + height, Self.label(range.lowerBound))
        out += SVG.text(x, top + height + 14, unit, "font-size=\"11\" fill=\"#555\"")
        return out
    }

    static func label(_ value: Double) -> String {
        let magnitude = abs(value)
        if value == 0 { return "0" }
        if magnitude >= 1e5 || magnitude < 1e-2 { return String(format: "%.2e", value) }
        return String(format: "%.3g", value)
    }
}
