import PlanModel

/// Quoting of untrusted text into shell words that the shell never interprets.
///
/// Every value that comes from a study file (parameter values, names, paths, environment values) goes
/// through here before it reaches a script: the result is exactly one word whose value is the input,
/// byte for byte, whatever it contains (`$(…)`, backticks, quotes, `;`, backslashes, newlines).
public enum ShellQuote {
    /// `text` as one shell word: `'…'` (a `'` written `'\''`), or `$'…'` when `text` holds control
    /// characters, so that the word never spans lines.
    public static func word(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 2)
        ShellWords.append(text, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Words joined by single spaces, each quoted with ``word(_:)``.
    public static func words(_ texts: [String]) -> String {
        texts.map(word).joined(separator: " ")
    }
}
