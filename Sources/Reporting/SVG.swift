import Foundation

/// Small helpers for writing SVG text: numbers, escaping, the document's frame.
enum SVG {
    /// A coordinate with one decimal.
    static func f(_ value: Double) -> String { String(format: "%.1f", value) }

    /// `text` safe inside an element or an attribute.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// The opening of a standalone document of `width` × `height` pixels with a white background and a title.
    static func open(width: Double, height: Double, title: String) -> String {
        """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(f(width))" height="\(f(height))" \
        viewBox="0 0 \(f(width)) \(f(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(f(width / 2))" y="22" text-anchor="middle" font-size="15" font-weight="bold">\
        \(escape(title))</text>

        """
    }

    /// A line from (x1, y1) to (x2, y2) with extra attributes.
    static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, _ attributes: String) -> String {
        "<line x1=\"\(f(x1))\" y1=\"\(f(y1))\" x2=\"\(f(x2))\" y2=\"\(f(y2))\" \(attributes)/>\n"
    }

    /// A text at (x, y) with extra attributes.
    static func text(_ x: Double, _ y: Double, _ content: String, _ attributes: String = "") -> String {
        "<text x=\"\(f(x))\" y=\"\(f(y))\"\(attributes.isEmpty ? "" : " " + attributes)>\(escape(content))</text>\n"
    }
}
