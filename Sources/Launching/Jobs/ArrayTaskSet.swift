/// A set of array task indices as Slurm writes it: `[1-5%2]`, `[0,3,7-9]`, `1-5` (brackets optional), with an
/// optional `%N` throttle.
public struct ArrayTaskSet: Sendable, Hashable, CustomStringConvertible {
    /// The ranges, in the order written.
    public var ranges: [ClosedRange<Int>]
    /// The throttle (`%N`), when written.
    public var throttle: Int?

    /// Creates a set.
    public init(ranges: [ClosedRange<Int>], throttle: Int? = nil) {
        self.ranges = ranges
        self.throttle = throttle
    }

    /// Parses `[1-5%2]`, `1-5`, `[0,3,7-9]`, `2`; nil for anything else. Steps (`1-9:2`) are expanded.
    public init?(_ text: some StringProtocol) {
        var body = Substring(text)
        if body.hasPrefix("[") {
            guard body.hasSuffix("]") else { return nil }
            body = body.dropFirst().dropLast()
        }
        var throttle: Int?
        if let percent = body.firstIndex(of: "%") {
            guard let limit = Int(body[body.index(after: percent)...]) else { return nil }
            throttle = limit
            body = body[..<percent]
        }
        var ranges: [ClosedRange<Int>] = []
        for part in body.split(separator: ",", omittingEmptySubsequences: false) {
            var range = part
            var step = 1
            if let colon = part.firstIndex(of: ":") {
                guard let parsed = Int(part[part.index(after: colon)...]), parsed > 0 else { return nil }
                step = parsed
                range = part[..<colon]
            }
            let bounds = range.split(separator: "-", omittingEmptySubsequences: false)
            guard let lower = bounds.first.flatMap({ Int($0) }), bounds.count <= 2 else { return nil }
            let upper = bounds.count == 2 ? Int(bounds[1]) : lower
            guard let upper, upper >= lower else { return nil }
            if step == 1 {
                ranges.append(lower...upper)
            } else {
                ranges += stride(from: lower, through: upper, by: step).map { $0...$0 }
            }
        }
        guard !ranges.isEmpty else { return nil }
        self.init(ranges: ranges, throttle: throttle)
    }

    /// Every index, in the order written.
    public var indices: [Int] { ranges.flatMap { Array($0) } }

    /// Slurm's form, in brackets: `[1-5%2]`.
    public var description: String {
        let list = ranges.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
        return "[" + list.joined(separator: ",") + (throttle.map { "%\($0)" } ?? "") + "]"
    }
}
