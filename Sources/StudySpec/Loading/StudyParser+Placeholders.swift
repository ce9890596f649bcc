import Foundation
import Yams

extension StudyParser {
    // MARK: - placeholders

    /// Checks the `{{name}}` placeholders of `template`; in a shell command they must stand outside quotes,
    /// since melissa quotes each value itself.
    mutating func checkTemplate(_ template: String, node: Node, path: String, names: Set<String>, shell: Bool) -> Bool {
        var ok = true
        let builtIns = Placeholder.BuiltIn.allCases.map(\.rawValue)
        // In the study's order, as a person reads them in the file.
        let parameters = parameterOrder.filter(names.contains) + names.subtracting(parameterOrder).sorted()
        let quoted = shell ? Self.quotedRanges(template) : []
        let occurrences = Placeholder.occurrences(in: template)
        let closedUpTo = occurrences.last.map { $0.offset + $0.length } ?? 0
        let rest = String(String.UnicodeScalarView(template.unicodeScalars.dropFirst(closedUpTo)))
        if let open = rest.range(of: "{{") {
            let offset = closedUpTo + rest.unicodeScalars[rest.unicodeScalars.startIndex..<open.lowerBound].count
            report(
                at: Self.mark(of: offset, in: template, node: node), path, "unclosed placeholder; expected `{{name}}`")
            ok = false
        }
        for occurrence in occurrences {
            let mark = Self.mark(of: occurrence.offset, in: template, node: node)
            if occurrence.name.isEmpty {
                report(at: mark, path, "empty placeholder `{{}}`; expected a parameter name or a built-in")
                ok = false
            } else if Placeholder.Slot(name: occurrence.name, parameters: parameters) == nil {
                let candidates = parameters + builtIns
                let hint =
                    Spelling.suggestion(for: occurrence.name, among: candidates).map { "did you mean `{{\($0)}}`? " }
                    ?? ""
                report(
                    at: mark, path,
                    "unknown placeholder `{{\(occurrence.name)}}`; \(hint)expected a parameter (\(Self.list(parameters))) "
                        + "or a built-in (\(Self.list(builtIns)))")
                ok = false
            } else if quoted.contains(where: { $0.contains(occurrence.offset) }) {
                report(
                    at: mark, path,
                    "placeholder `{{\(occurrence.name)}}` inside quotes; melissa quotes each value itself, so write it unquoted"
                )
                ok = false
            }
        }
        return ok
    }

    /// Unicode-scalar offsets inside single or double quotes in a shell command.
    static func quotedRanges(_ command: String) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var open: (quote: Unicode.Scalar, start: Int)?
        var escaped = false
        for (offset, scalar) in command.unicodeScalars.enumerated() {
            if let current = open {
                if current.quote == "\"", scalar == "\\", !escaped {
                    escaped = true
                    continue
                }
                if scalar == current.quote, !escaped {
                    ranges.append(current.start..<offset)
                    open = nil
                }
                escaped = false
            } else if escaped {
                escaped = false
            } else if scalar == "\\" {
                escaped = true
            } else if scalar == "'" || scalar == "\"" {
                open = (scalar, offset)
            }
        }
        if let open { ranges.append(open.start..<command.unicodeScalars.count) }
        return ranges
    }

    /// The position of a scalar's character: exact for one-line plain and quoted scalars, else the scalar's start.
    static func mark(of offset: Int, in text: String, node: Node) -> Position? {
        guard let mark = node.position, case .scalar(let scalar) = node, !text.contains("\n") else {
            return node.position
        }
        switch scalar.style {
        case .plain: return Position(line: mark.line, column: mark.column + offset)
        case .singleQuoted where !text.contains("'"), .doubleQuoted where !text.contains("\\") && !text.contains("\""):
            return Position(line: mark.line, column: mark.column + 1 + offset)
        default: return mark
        }
    }
}
