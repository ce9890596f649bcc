/// What a buffer has done, for metrics, plots and tests.
public struct BufferStatistics: Sendable, Hashable, Codable {
    /// Samples held now.
    public var population: Int
    /// Samples accepted.
    public var puts: Int
    /// Reads handed to the trainer.
    public var gets: Int
    /// Samples dropped to make room (reservoir only; always already read).
    public var evictions: Int
    /// Whether the end of reception was announced.
    public var receptionOver: Bool
    /// `seenAtExit[k]`: samples that left the buffer (read out or evicted) after exactly k reads; the last bucket
    /// counts k ≥ its index.
    public var seenAtExit: [Int]

    /// Samples that left the buffer without ever being read (must stay 0: no policy loses unseen data).
    public var lostUnseen: Int { seenAtExit.first ?? 0 }
}
