import WireProtocol

/// Counters of the ingest, as a value.
public struct IngestStatistics: Sendable, Equatable {
    /// Samples handed to the sinks.
    public var samples: Int = 0
    /// Complete chunks of time steps that were already samples (a restarted simulation's repeats), dropped.
    public var duplicates: Int = 0
    /// Registrations accepted.
    public var registrations: Int = 0
    /// Rejected messages by reason.
    public var rejected: [RejectionReason: Int] = [:]

    /// Rejected messages of every reason.
    public var totalRejected: Int { rejected.values.reduce(0, +) }

    /// Counters, zero.
    public init() {}

    /// The sum of two ranks' counters.
    public func adding(_ other: IngestStatistics) -> IngestStatistics {
        var sum = self
        sum.samples += other.samples
        sum.duplicates += other.duplicates
        sum.registrations += other.registrations
        sum.rejected.merge(other.rejected, uniquingKeysWith: +)
        return sum
    }

    /// Rejected messages of `reason`.
    public func rejected(_ reason: RejectionReason) -> Int { rejected[reason, default: 0] }
}
