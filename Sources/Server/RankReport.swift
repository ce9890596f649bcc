import Ingest
import WireProtocol

/// What each rank tells the others at every step (one all-gather of these integers).
struct RankReport {
    static let fixedCount = 10
    static var count: Int { fixedCount + RejectionReason.allCases.count }

    var staged = 0
    var drained = false
    var stop = false
    var completionChanged = false
    /// Rank 0's: the ranks bring their per-simulation scores together after this exchange.
    var scoresDue = false
    var population = 0
    var received = 0
    var statistics = IngestStatistics()

    var encoded: [Int64] {
        [
            Int64(staged), drained ? 1 : 0, stop ? 1 : 0, completionChanged ? 1 : 0, Int64(population),
            Int64(received), Int64(statistics.samples), Int64(statistics.duplicates),
            Int64(statistics.registrations), scoresDue ? 1 : 0,
        ] + RejectionReason.allCases.map { Int64(statistics.rejected($0)) }
    }

    init() {}

    init(_ values: [Int64]) {
        staged = Int(values[0])
        drained = values[1] != 0
        stop = values[2] != 0
        completionChanged = values[3] != 0
        population = Int(values[4])
        received = Int(values[5])
        statistics.samples = Int(values[6])
        statistics.duplicates = Int(values[7])
        statistics.registrations = Int(values[8])
        scoresDue = values[9] != 0
        for (index, reason) in RejectionReason.allCases.enumerated() {
            let count = Int(values[Self.fixedCount + index])
            if count > 0 { statistics.rejected[reason] = count }
        }
    }
}
