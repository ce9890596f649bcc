import Dispatch
import Ingest
import Synchronization

/// A sink that counts samples (touching one value of each) and signals when `target` have arrived.
final class CountingSink: SampleSink {
    private let count = Atomic<Int>(0)
    private let checksum = Atomic<UInt32>(0)
    private let target: Int
    private let done = DispatchSemaphore(value: 0)

    init(target: Int) {
        self.target = target
    }

    func accept(_ sample: Sample) {
        checksum.wrappingAdd(sample.values.last?.bitPattern ?? 0, ordering: .relaxed)
        if count.add(1, ordering: .relaxed).newValue == target { done.signal() }
    }

    /// Waits for the target count; false after `seconds`.
    func wait(seconds: Double) -> Bool {
        done.wait(timeout: .now() + seconds) == .success
    }
}
