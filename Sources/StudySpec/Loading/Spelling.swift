/// Suggestions for misspelt keys and values.
public enum Spelling {
    /// The candidate closest to `word`, if it is close enough to be what was meant.
    public static func suggestion(for word: String, among candidates: [String]) -> String? {
        let normalized = normalize(word)
        if let exact = candidates.first(where: { normalize($0) == normalized }) { return exact }
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(normalized, normalize(candidate))
            if distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
        }
        // Letters a person types for digits they look like (`{{xo}}` for `{{x0}}`).
        let confusable = candidates.filter { lookalike(normalize($0)) == lookalike(normalized) }
        if confusable.count == 1 { return confusable[0] }
        guard let best else { return nil }
        // Names of one or two letters are too short for a typo to be told from another name.
        let allowed = best.candidate.count <= 2 ? 0 : max(1, min(3, best.candidate.count / 3))
        if best.distance <= allowed { return best.candidate }
        // Another form of the same word (`sampling` for `sampler`): a long shared stem, one candidate only.
        let stems = candidates.filter { candidate in
            let shared = zip(normalize(candidate), normalized).prefix { $0 == $1 }.count
            return shared >= 5 && Double(shared) >= 0.6 * Double(min(candidate.count, normalized.count))
        }
        return stems.count == 1 ? stems[0] : nil
    }

    /// `word` with the letters that look like digits replaced by them.
    private static func lookalike(_ word: String) -> String {
        String(
            word.map { character -> Character in
                switch character {
                case "o": "0"
                case "l", "i": "1"
                default: character
                }
            })
    }

    /// Lower case without `_`, `-` and blanks, so `timeSteps`, `time-steps` and `time_steps` match.
    private static func normalize(_ word: String) -> String {
        String(word.lowercased().filter { $0 != "_" && $0 != "-" && $0 != " " })
    }

    /// Levenshtein distance with adjacent transpositions (optimal string alignment).
    static func editDistance(_ lhs: String, _ rhs: String) -> Int {
        let a = Array(lhs)
        let b = Array(rhs)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previousPrevious = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], previousPrevious[j - 2] + 1)
                }
            }
            (previousPrevious, previous, current) = (previous, current, previousPrevious)
        }
        return previous[b.count]
    }
}
