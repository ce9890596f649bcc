import Foundation

/// Gathers a command's exit status and both outputs, from three threads, and reports once all three are in.
final class CommandCollector: @unchecked Sendable {
    typealias Completion = (status: ExitStatus, output: Data, error: Data, timedOut: Bool)

    private let lock = NSLock()
    private var status: ExitStatus?
    private var output: Data?
    private var error: Data?
    private var timedOut = false
    private var completion: (@Sendable (Completion) -> Void)?

    /// Sets what to call once everything is in.
    func onCompletion(_ body: @escaping @Sendable (Completion) -> Void) {
        lock.withLock { completion = body }
    }

    /// Records the exit status.
    func finish(status: ExitStatus) {
        deliver { self.status = status }
    }

    /// Records one output stream.
    func finish(data: Data, isOutput: Bool) {
        deliver {
            if isOutput { self.output = data } else { self.error = data }
        }
    }

    /// Whether the process has ended.
    var hasExited: Bool { lock.withLock { status != nil } }

    /// Marks the run as timed out if the process is still running; returns whether it was.
    func markTimedOutIfRunning() -> Bool {
        lock.withLock {
            guard status == nil else { return false }
            timedOut = true
            return true
        }
    }

    private func deliver(_ update: () -> Void) {
        let ready: (Completion, @Sendable (Completion) -> Void)? = lock.withLock {
            update()
            guard let status, let output, let error, let completion else { return nil }
            self.completion = nil
            return ((status, output, error, timedOut), completion)
        }
        if let (value, completion) = ready { completion(value) }
    }
}
