/// A piece of one shell word: literal text, or the attempt number read from the environment at run time.
enum ShellWordPart: Sendable, Hashable {
    /// Text taken as is.
    case literal(String)
    /// `${MELISSA_ATTEMPT:-0}`, expanded by the shell when the simulation starts.
    case attempt

    /// The parts as one shell word: literals quoted, the attempt as `"${MELISSA_ATTEMPT:-0}"`.
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
            case .attempt: return "\"${MELISSA_ATTEMPT:-0}\""
            }
        }.joined()
    }
}
