import Foundation

/// Parsing of the quantities a study file writes as text: memory sizes and durations.
enum Quantities {
    /// Mebibytes in `text`: `512M`, `2G`, `2GB`, `1.5G`, `1T`, `4096` (MiB); nil when malformed or not positive.
    static func mebibytes(_ text: String) -> Int? {
        var body = text.trimmingCharacters(in: .whitespaces).uppercased()
        if body.hasSuffix("IB") { body.removeLast(2) } else if body.hasSuffix("B") { body.removeLast() }
        var factor = 1.0
        let scales: [Character: Double] = ["K": 1.0 / 1024, "M": 1, "G": 1024, "T": 1024 * 1024]
        if let unit = body.last, let scale = scales[unit] {
            factor = scale
            body.removeLast()
        }
        guard let number = Double(body), number.isFinite, number > 0 else { return nil }
        let mib = (number * factor).rounded(.up)
        return mib >= 1 && mib < Double(Int.max) ? Int(mib) : nil
    }

    /// Seconds in `text`: `90`, `90s`, `5m`, `1h30m`, `2d`, or a clock `HH:MM:SS`; nil when malformed.
    static func seconds(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        if trimmed.contains(":") { return Walltime(parsing: trimmed)?.seconds }
        if let plain = Int(trimmed) { return plain > 0 ? plain : nil }
        var total = 0
        var digits = ""
        var sawUnit = false
        for character in trimmed {
            if character.isNumber {
                digits.append(character)
                continue
            }
            let scale: Int
            switch character {
            case "s": scale = 1
            case "m": scale = 60
            case "h": scale = 3600
            case "d": scale = 86400
            default: return nil
            }
            guard let value = Int(digits) else { return nil }
            total += value * scale
            digits = ""
            sawUnit = true
        }
        guard digits.isEmpty, sawUnit, total > 0 else { return nil }
        return total
    }
}
