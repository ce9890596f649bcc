/// The rectangle a chart plots in, its two axes, and the grid, ticks and axis labels around it.
struct PlotArea {
    let left: Double
    let top: Double
    let width: Double
    let height: Double
    let x: Axis
    let y: Axis

    /// The horizontal pixel of data value `value`.
    func px(_ value: Double) -> Double { left + x.fraction(value) * width }
    /// The vertical pixel of data value `value`.
    func py(_ value: Double) -> Double { top + (1 - y.fraction(value)) * height }

    /// The grid lines, tick labels, frame and axis titles.
    func frame(xLabel: String, yLabel: String) -> String {
        var out = ""
        for tick in y.ticks() {
            out += SVG.line(left, py(tick), left + width, py(tick), "stroke=\"#e5e5e5\"")
            out += SVG.text(left - 6, py(tick) + 4, Axis.label(tick), "text-anchor=\"end\"")
        }
        for tick in x.ticks() {
            out += SVG.line(px(tick), top, px(tick), top + height, "stroke=\"#f0f0f0\"")
            out += SVG.text(px(tick), top + height + 16, Axis.label(tick), "text-anchor=\"middle\"")
        }
        out += "<rect x=\"\(SVG.f(left))\" y=\"\(SVG.f(top))\" width=\"\(SVG.f(width))\" "
        out += "height=\"\(SVG.f(height))\" fill=\"none\" stroke=\"#444\"/>\n"
        out += SVG.text(left + width / 2, top + height + 30, xLabel, "text-anchor=\"middle\" fill=\"#333\"")
        out += "<text transform=\"translate(16 \(SVG.f(top + height / 2))) rotate(-90)\" text-anchor=\"middle\" "
        out += "fill=\"#333\">\(SVG.escape(yLabel))</text>\n"
        return out
    }

    /// "no data yet", in the middle of the plot, for a chart with nothing to draw.
    func noData() -> String {
        SVG.text(
            left + width / 2, top + height / 2, "no data yet", "text-anchor=\"middle\" fill=\"#888\" font-size=\"14\"")
    }
}
