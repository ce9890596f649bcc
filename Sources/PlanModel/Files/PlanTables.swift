import Foundation
import Sampling

/// The per-simulation text of a plan, written in one pass over its simulations and straight to the files, in
/// chunks: `plan.json`'s parameter table, `parameters.csv` and the values file (`scripts.values`). Each value is
/// formatted once for all three.
enum PlanTables {
    /// The rows of `jobs` appended to the three texts: a JSON array (`[412.5,"cg"]`, rows after the first preceded
    /// by `,`), a CSV row (`id,role,cells…`), a values row (`id 'word' 'word'…`), each row on a line of its own.
    static func append(
        _ job: SimulationJob, first: Bool, json: inout [UInt8], csv: inout [UInt8], values: inout [UInt8]
    ) {
        json += first ? "\n    [".utf8 : ",\n    [".utf8
        var id = String(job.id)
        id.withUTF8 { id in
            csv.append(contentsOf: id)
            values.append(contentsOf: id)
        }
        csv += job.role == .training ? ",training".utf8 : ",validation".utf8
        for (column, value) in job.values.enumerated() {
            if column > 0 { json.append(UInt8(ascii: ",")) }
            csv.append(UInt8(ascii: ","))
            values.append(UInt8(ascii: " "))
            switch value {
            case .real(let real):
                var text = real.description
                text.withUTF8 { text in
                    if real.isFinite { json.append(contentsOf: text) } else { json += "null".utf8 }
                    csv.append(contentsOf: text)
                    quotedNumber(text, to: &values)
                }
            case .integer(let integer):
                var text = String(integer)
                text.withUTF8 { text in
                    json.append(contentsOf: text)
                    csv.append(contentsOf: text)
                    quotedNumber(text, to: &values)
                }
            case .text(let text):
                var text = text
                text.withUTF8 { utf8 in
                    jsonString(utf8, to: &json)
                    csvCell(utf8, to: &csv)
                    ShellWords.append(utf8: utf8, to: &values)
                }
            }
        }
        json.append(UInt8(ascii: "]"))
        csv.append(0x0A)
        values.append(0x0A)
    }

    /// A number's text as one shell word: `'…'` (it holds no quote and no control character; `inf`, `nan` too).
    private static func quotedNumber(_ text: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "'"))
        out.append(contentsOf: text)
        out.append(UInt8(ascii: "'"))
    }

    /// The opening of `plan.json`'s parameter table, up to its first row.
    static func jsonOpening(training: Int, validation: Int) -> [UInt8] {
        Array(#"{"training": \#(training), "validation": \#(validation), "values": ["#.utf8)
    }

    /// The closing of the table, after `count` rows.
    static func jsonClosing(count: Int) -> [UInt8] {
        Array((count == 0 ? "]}" : "\n  ]}").utf8)
    }

    /// A JSON string literal.
    static func jsonString(_ utf8: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case UInt8(ascii: "\n"): out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case UInt8(ascii: "\r"): out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case UInt8(ascii: "\t"): out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20:
                out += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")]
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// A CSV cell (RFC 4180): in double quotes, a quote doubled, when it holds a comma, quote, line break or outer
    /// blanks.
    static func csvCell(_ utf8: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        let blank: (UInt8?) -> Bool = { $0 == 0x20 || $0 == 0x09 }
        let needsQuotes =
            utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
            || blank(utf8.first) || blank(utf8.last)
        guard needsQuotes else {
            out.append(contentsOf: utf8)
            return
        }
        out.append(UInt8(ascii: "\""))
        for byte in utf8 {
            if byte == UInt8(ascii: "\"") { out.append(byte) }
            out.append(byte)
        }
        out.append(UInt8(ascii: "\""))
    }

    /// A file written in chunks of about a MiB.
    final class ChunkedFile {
        let path: String
        private let handle: FileHandle
        var buffer: [UInt8] = []
        private(set) var written = 0

        /// Creates (or empties) the file at `path`.
        init(path: String) throws {
            self.path = path
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw PlanningError.write(path: path, reason: "cannot create it")
            }
            do {
                handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            } catch {
                throw PlanningError.write(path: path, reason: FileProblem.describe(error, path: path))
            }
            buffer.reserveCapacity(Self.chunk + 4096)
        }

        static let chunk = 1 << 20

        /// Writes the buffer out once it holds a chunk.
        func flushIfFull() throws {
            if buffer.count >= Self.chunk { try flush() }
        }

        /// Writes the buffer out.
        func flush() throws {
            guard !buffer.isEmpty else { return }
            do {
                try buffer.withUnsafeBytes { try handle.write(contentsOf: $0) }
            } catch {
                throw PlanningError.write(path: path, reason: FileProblem.describe(error, path: path))
            }
            written += buffer.count
            buffer.removeAll(keepingCapacity: true)
        }

        /// Writes what is left and closes the file; returns the bytes written in all.
        func close() throws -> Int {
            try flush()
            do {
                try handle.close()
            } catch {
                throw PlanningError.write(path: path, reason: FileProblem.describe(error, path: path))
            }
            return written
        }
    }
}
