/// Points given explicitly in a CSV file (header row of parameter names, one row per simulation).
///
/// Cells are separated by commas; a cell may be quoted with `"` (a doubled `""` inside stands for one quote, and
/// a quoted cell cannot span lines). Whitespace around unquoted cells and names is ignored, as are blank lines
/// and line breaks may be `\n`, `\r\n` or `\r`.
public enum PointFile {
    /// Reads values for the named columns (order of `columns`, header may list them in any order; extra columns
    /// are an error naming them; missing ones too). Cells parse as integer, then finite real, else text. Errors
    /// carry 1-based line numbers.
    public static func read(_ text: String, columns: [String]) throws -> [[ParameterValue]] {
        var lines: [(number: Int, cells: [Cell])] = []
        var number = 0
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            number += 1
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            lines.append((number, try cells(of: line, line: number)))
        }
        guard let header = lines.first else { throw SamplingError.emptyFile }
        let names = header.cells.map(\.text)
        var position: [String: Int] = [:]
        for (index, name) in names.enumerated() {
            guard position[name] == nil else { throw SamplingError.duplicateColumn(name) }
            position[name] = index
        }
        let missing = columns.filter { position[$0] == nil }
        guard missing.isEmpty else { throw SamplingError.missingColumns(missing) }
        let wanted = Set(columns)
        let extra = names.filter { !wanted.contains($0) }
        guard extra.isEmpty else { throw SamplingError.unexpectedColumns(extra) }
        let order = columns.compactMap { position[$0] }
        return try lines.dropFirst().map { row in
            guard row.cells.count == names.count else {
                throw SamplingError.raggedRow(line: row.number, expected: names.count, found: row.cells.count)
            }
            return try order.map { index in
                let cell = row.cells[index]
                guard !cell.text.isEmpty else { throw SamplingError.emptyCell(line: row.number, column: names[index]) }
                return cell.quoted ? .text(cell.text) : value(of: cell.text)
            }
        }
    }

    /// A cell's text, and whether it was quoted (a quoted cell is always text).
    private struct Cell {
        var text: String
        var quoted: Bool
    }

    /// Integer, then finite real, else text.
    private static func value(of text: String) -> ParameterValue {
        if let integer = Int(text) { return .integer(integer) }
        if let real = Double(text), real.isFinite { return .real(real) }
        return .text(text)
    }

    /// Splits one line into cells.
    private static func cells(of line: Substring, line number: Int) throws -> [Cell] {
        var cells: [Cell] = []
        var current = ""
        var quoted = false
        var inQuotes = false
        var index = line.startIndex
        while index < line.endIndex {
            let character = line[index]
            index = line.index(after: index)
            if inQuotes {
                if character == "\"" {
                    if index < line.endIndex, line[index] == "\"" {
                        current.append("\"")
                        index = line.index(after: index)
                    } else {
                        inQuotes = false
                    }
                } else {
                    current.append(character)
                }
            } else if character == "," {
                cells.append(Cell(text: quoted ? current : trimmed(current), quoted: quoted))
                current = ""
                quoted = false
            } else if character == "\"", trimmed(current).isEmpty {
                current = ""
                quoted = true
                inQuotes = true
            } else {
                current.append(character)
            }
        }
        guard !inQuotes else { throw SamplingError.unterminatedQuote(line: number) }
        cells.append(Cell(text: quoted ? current : trimmed(current), quoted: quoted))
        return cells
    }

    private static func trimmed(_ text: String) -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = text.firstIndex(where: { !isSpace($0) }), let last = text.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(text[first...last])
    }
}
