import Synchronization

/// Ping sequence numbers, from 1 (0 answers `give_up`).
final class SequenceCounter: Sendable {
    private let value = Mutex<UInt64>(0)

    /// The next number.
    func next() -> UInt64 {
        value.withLock { value in
            value += 1
            return value
        }
    }
}
