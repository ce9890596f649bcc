/// Quoting of untrusted text into shell words that the shell never interprets.
///
/// Every value that comes from a study file (parameter values, names, paths, environment values) goes
/// through here before it reaches a script: the result is exactly one word whose value is the input,
/// byte for byte, whatever it contains (`$(…)`, backticks, quotes, `;`, backslashes, newlines).
public enum ShellQuote {
    /// `text` as one shell word: `'…'` (a `'` written `'\''`), or `$'…'` when `text` holds control
    /// characters, so that the word never spans lines.
    public static func word(_ text: String) -> String {
        let needsANSI = text.utf8.contains { $0 < 0x20 || $0 == 0x7F }
        return needsANSI ? ansiC(text) : singleQuoted(text)
    }

    /// Words joined by single spaces, each quoted with ``word(_:)``.
    public static func words(_ texts: [String]) -> String {
        texts.map(word).joined(separator: " ")
    }

    /// `'…'` with every `'` written `'\''`.
    static func singleQuoted(_ text: String) -> String {
        if !text.utf8.contains(UInt8(ascii: "'")) { return "'" + text + "'" }
        var result = "'"
        result.reserveCapacity(text.utf8.count + 2)
        for character in text.unicodeScalars {
            if character == "'" {
                result += "'\\''"
            } else {
                result.unicodeScalars.append(character)
            }
        }
        result += "'"
        return result
    }

    /// Bash's ANSI-C quoting `$'…'`: backslash, quote and control characters escaped.
    static func ansiC(_ text: String) -> String {
        var result = "$'"
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "'": result += "\\'"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    result += "\\x" + (hex.count < 2 ? "0" + hex : hex)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        result += "'"
        return result
    }
}
