import Dispatch

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a handler on signals instead of their default action (which stays suspended), until cancelled.
struct SignalHandlers {
    private let sources: [any DispatchSourceSignal]

    /// Calls `handler` on every delivery of any of `signals`.
    init(_ signals: [Int32], _ handler: @escaping @Sendable () -> Void) {
        sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler(handler: handler)
            source.resume()
            return source
        }
    }

    /// Stops calling the handler (the signals stay ignored).
    func cancel() {
        for source in sources { source.cancel() }
    }
}
