/// `training.threads`: the BLAS threads of each training rank, a number or `auto`.
///
/// In plan.json: the string `"auto"` or the number.
public enum ThreadCount: Sendable, Hashable, Codable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    /// Chosen by the server when it starts: 1 or all the cores it may use, whichever trains the study's network at
    /// its batch size faster there (docs/training.md, "BLAS threads").
    case auto
    /// This many threads (≥ 1).
    case fixed(Int)

    /// A fixed count.
    public init(integerLiteral value: Int) { self = .fixed(value) }

    /// The fixed count; nil for `auto`.
    public var fixedCount: Int? {
        if case .fixed(let count) = self { return count }
        return nil
    }

    /// `auto` or the number.
    public var description: String { fixedCount.map { "\($0)" } ?? "auto" }

    /// Reads `"auto"` or a number.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let count = try? container.decode(Int.self) {
            self = .fixed(count)
            return
        }
        let text = try container.decode(String.self)
        guard text == "auto" else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected `auto` or a number of threads, found `\(text)`")
        }
        self = .auto
    }

    /// Writes `"auto"` or the number.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .auto: try container.encode("auto")
        case .fixed(let count): try container.encode(count)
        }
    }
}
