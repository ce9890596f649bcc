import Synchronization

/// A continuation that whichever of several tasks finishes first resumes; the others' resumes do nothing.
final class ResumeOnce: Sendable {
    private let continuation: Mutex<CheckedContinuation<Void, Never>?>

    /// Holds `continuation` until the first ``resume()``.
    init(_ continuation: CheckedContinuation<Void, Never>) {
        self.continuation = Mutex(continuation)
    }

    /// Resumes the continuation the first time; later calls do nothing.
    func resume() {
        let taken = continuation.withLock { value in
            defer { value = nil }
            return value
        }
        taken?.resume()
    }
}
