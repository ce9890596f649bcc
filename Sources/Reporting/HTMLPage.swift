import Foundation

/// One self-contained HTML page: inline CSS and SVG, no script, no font or image fetched from anywhere, so that it
/// opens from a cluster's file system or a mail attachment.
public struct HTMLPage: Sendable {
    /// How a verdict reads: good (green), warning (amber) or failed (red).
    public enum Tone: String, Sendable {
        /// The study delivered.
        case good
        /// It delivered with something to look at.
        case warning
        /// It did not deliver.
        case failed
    }

    /// The page's title (the browser tab and the heading).
    public var title: String
    private var body = ""
    private var contents: [(id: String, title: String)] = []

    /// An empty page.
    public init(title: String) {
        self.title = title
    }

    /// `text` safe inside HTML.
    public static func escape(_ text: String) -> String { SVG.escape(text) }

    /// A verdict box: a headline, its tone, and the figures that back it (label, value).
    public mutating func verdict(_ headline: String, tone: Tone, reasons: [String], figures: [(String, String)]) {
        body += "<section class=\"verdict \(tone.rawValue)\" id=\"verdict\">\n<h2>\(Self.escape(headline))</h2>\n"
        if !reasons.isEmpty {
            body += "<ul>" + reasons.map { "<li>\(Self.escape($0))</li>" }.joined() + "</ul>\n"
        }
        body += "<dl class=\"figures\">"
        for (label, value) in figures {
            body += "<div><dt>\(Self.escape(label))</dt><dd>\(Self.escape(value))</dd></div>"
        }
        body += "</dl>\n</section>\n"
    }

    /// Starts a section with a heading (listed in the page's contents).
    public mutating func section(_ id: String, _ heading: String, note: String? = nil) {
        contents.append((id, heading))
        body += "<h2 id=\"\(Self.escape(id))\">\(Self.escape(heading))</h2>\n"
        if let note { paragraph(note) }
    }

    /// A paragraph of plain text.
    public mutating func paragraph(_ text: String) {
        body += "<p>\(Self.escape(text))</p>\n"
    }

    /// Figures (SVG documents) side by side, wrapping on a narrow window.
    public mutating func figures(_ svgs: [String], caption: String? = nil) {
        body += "<figure><div class=\"row\">"
        for svg in svgs { body += "<div class=\"chart\">" + Self.inline(svg) + "</div>" }
        body += "</div>"
        if let caption { body += "<figcaption>\(Self.escape(caption))</figcaption>" }
        body += "</figure>\n"
    }

    /// A table with a header row; `numeric` columns are right-aligned.
    public mutating func table(_ header: [String], _ rows: [[String]], numeric: Set<Int> = []) {
        body += "<div class=\"scroll\"><table><thead><tr>"
        for (index, cell) in header.enumerated() {
            body += "<th\(numeric.contains(index) ? " class=\"n\"" : "")>\(Self.escape(cell))</th>"
        }
        body += "</tr></thead><tbody>\n"
        for row in rows {
            body += "<tr>"
            for (index, cell) in row.enumerated() {
                body += "<td\(numeric.contains(index) ? " class=\"n\"" : "")>\(Self.escape(cell))</td>"
            }
            body += "</tr>\n"
        }
        body += "</tbody></table></div>\n"
    }

    /// A list of label → value facts; a value given with `link` is a relative link to that file.
    public mutating func facts(_ facts: [(label: String, value: String, link: String?)]) {
        body += "<dl class=\"facts\">"
        for fact in facts {
            let value = Self.escape(fact.value)
            let shown = fact.link.map { "<a href=\"\(Self.escape($0))\">\(value)</a>" } ?? value
            body += "<dt>\(Self.escape(fact.label))</dt><dd>\(shown)</dd>"
        }
        body += "</dl>\n"
    }

    /// The whole page.
    public func html(generated: String) -> String {
        var out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        out += "<title>\(Self.escape(title))</title>\n<style>\n\(Self.style)</style>\n</head>\n<body>\n"
        out += "<header><h1>\(Self.escape(title))</h1><p class=\"generated\">\(Self.escape(generated))</p>"
        out +=
            "<nav>"
            + contents.map { "<a href=\"#\(Self.escape($0.id))\">\(Self.escape($0.title))</a>" }
            .joined(separator: " · ") + "</nav></header>\n<main>\n"
        return out + body + "</main>\n</body>\n</html>\n"
    }

    /// An SVG document without its XML prologue, to sit inside HTML.
    static func inline(_ svg: String) -> String {
        guard svg.hasPrefix("<?xml"), let end = svg.range(of: "?>") else { return svg }
        return String(svg[end.upperBound...])
    }

    static let style = """
        body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 0 20px 40px; \
        color: #222; }
        header h1 { margin-bottom: 4px; }
        .generated { color: #666; margin-top: 0; }
        nav a { color: #0072B2; text-decoration: none; }
        h2 { border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 32px; }
        .verdict { border-radius: 8px; padding: 12px 20px; margin-top: 20px; border-left: 10px solid; }
        .verdict h2 { border: none; margin: 4px 0 8px; }
        .verdict.good { background: #e9f6ef; border-color: #009E73; }
        .verdict.warning { background: #fdf4e3; border-color: #E69F00; }
        .verdict.failed { background: #fbeaea; border-color: #C0392B; }
        .figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(210px, 1fr)); gap: 8px 16px; }
        .figures div { background: rgba(255,255,255,.7); border-radius: 6px; padding: 6px 10px; }
        .figures dt { font-size: 12px; color: #555; }
        .figures dd { margin: 0; font-size: 18px; font-weight: 600; }
        .row { display: flex; flex-wrap: wrap; gap: 12px; }
        .chart svg { max-width: 100%; height: auto; }
        figure { margin: 12px 0; }
        figcaption { color: #555; font-size: 13px; }
        .scroll { overflow-x: auto; max-height: 520px; overflow-y: auto; }
        table { border-collapse: collapse; font-size: 13px; }
        th, td { padding: 3px 10px; border-bottom: 1px solid #eee; text-align: left; white-space: nowrap; }
        th { position: sticky; top: 0; background: #f6f6f6; }
        td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
        .facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; }
        .facts dt { color: #555; }
        .facts dd { margin: 0; font-family: ui-monospace, monospace; font-size: 13px; word-break: break-all; }

        """
}
