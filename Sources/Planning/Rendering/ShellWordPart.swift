/// A piece of one shell word: literal text, or a variable the shell expands when the simulation starts.
enum ShellWordPart: Sendable, Hashable {
    /// Text taken as is.
    case literal(String)
    /// `"${<name>}"`, expanded by the shell (a positional parameter, `melissa_id`, or `MELISSA_ATTEMPT:-0`).
    case expansion(String)

    /// `${MELISSA_ATTEMPT:-0}`, the attempt number read from the environment at run time.
    static let attempt = ShellWordPart.expansion("MELISSA_ATTEMPT:-0")

    /// The parts as one shell word: literals quoted, each expansion as `"${…}"`.
    static func word(_ parts: [ShellWordPart]) -> String {
        var merged: [ShellWordPart] = []
        for part in parts {
            if case .literal(let text) = part, case .literal(let previous)? = merged.last {
                merged[merged.count - 1] = .literal(previous + text)
            } else {
                merged.append(part)
            }
        }
        if merged.isEmpty { return "''" }
        return merged.map { part in
            switch part {
            case .literal(let text): return ShellQuote.word(text)
            case .expansion(let name): return "\"${" + name + "}\""
            }
        }.joined()
    }
}
