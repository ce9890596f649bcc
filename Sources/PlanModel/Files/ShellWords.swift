/// Untrusted text as one shell word that the shell never interprets, written as bytes (Planning's `ShellQuote`
/// is this, as a `String`).
///
/// `'…'` (a `'` written `'\''`), or bash's ANSI-C `$'…'` when the text holds control characters, so that the word
/// never spans lines. The word's value is the text, byte for byte, whatever it contains.
public enum ShellWords {
    /// Appends `text` as one shell word.
    public static func append(_ text: String, to out: inout [UInt8]) {
        var text = text
        text.withUTF8 { append(utf8: $0, to: &out) }
    }

    /// Appends the UTF-8 text `utf8` as one shell word.
    public static func append(utf8: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        var control = false
        var quote = false
        for byte in utf8 {
            if byte < 0x20 || byte == 0x7F { control = true }
            if byte == UInt8(ascii: "'") { quote = true }
        }
        if control {
            ansiC(utf8, to: &out)
            return
        }
        out.append(UInt8(ascii: "'"))
        if quote {
            for byte in utf8 {
                if byte == UInt8(ascii: "'") {
                    out += [UInt8(ascii: "'"), UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "'")]
                } else {
                    out.append(byte)
                }
            }
        } else {
            out.append(contentsOf: utf8)
        }
        out.append(UInt8(ascii: "'"))
    }

    /// `$'…'`: backslash, quote and control characters escaped (bytes of 0x80 and above, the rest of UTF-8
    /// sequences, as they are).
    private static func ansiC(_ utf8: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        let hex = Array("0123456789ABCDEF".utf8)
        out += [UInt8(ascii: "$"), UInt8(ascii: "'")]
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case UInt8(ascii: "'"): out += [UInt8(ascii: "\\"), UInt8(ascii: "'")]
            case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0..<0x20, 0x7F:
                out += [UInt8(ascii: "\\"), UInt8(ascii: "x"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "'"))
    }
}
