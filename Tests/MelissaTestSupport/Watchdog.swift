import Dispatch
import Foundation
import Synchronization

/// Ends a process (SIGTERM) that is still running after a deadline.
public struct Watchdog {
    private final class Flag: Sendable {
        let value = Atomic<Bool>(false)
    }

    private let fired = Flag()
    private let work: DispatchWorkItem

    /// Arms the watchdog for `process`, `seconds` from now.
    public init(_ process: Process, after seconds: Double) {
        let fired = self.fired
        work = DispatchWorkItem {
            if process.isRunning {
                fired.value.store(true, ordering: .sequentiallyConsistent)
                process.terminate()
            }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: work)
    }

    /// Disarms it; returns whether it had ended the process.
    @discardableResult
    public func cancel() -> Bool {
        work.cancel()
        return fired.value.load(ordering: .sequentiallyConsistent)
    }
}
