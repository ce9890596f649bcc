/// `SobolDirectionNumbers.text` parsed once into numbers.
struct SobolTable: Sendable {
    /// One dimension's primitive polynomial and initial direction numbers.
    struct Entry: Sendable {
        var poly: UInt64
        var initial: [UInt64]
    }

    /// The parsed table, built on first use.
    static let shared = SobolTable(text: SobolDirectionNumbers.text)

    private let entries: [Entry]

    init(text: String) {
        var entries = [Entry(poly: 1, initial: [])]
        for line in text.split(separator: "\n") {
            let numbers = line.split(separator: " ").compactMap { UInt64($0) }
            guard let poly = numbers.first else { continue }
            entries.append(Entry(poly: poly, initial: Array(numbers.dropFirst())))
        }
        self.entries = entries
    }

    /// The entry of dimension `j` (0-based; dimension 0 has no polynomial).
    func entry(_ j: Int) -> Entry { entries[j] }
}
