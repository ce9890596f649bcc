import Foundation
import Transport
import WireProtocol

/// A worker's end of the worker channel: a `DEALER` connected to the endpoint `launcher.address` names, one
/// exchange at a time, on the worker's own thread (every call blocks).
///
/// A launcher that does not answer is asked again later; once it missed twice in a row the link reads
/// `launcher.address` again (a resumed launcher listens elsewhere) and connects afresh.
final class WorkerLink {
    private let context: ZMQContext
    private let studyDirectory: URL
    private var socket: Socket?
    private(set) var endpoint: String?
    private var misses = 0

    /// A link for the study in `studyDirectory` (it connects at the first exchange).
    init(studyDirectory: String) throws {
        context = try ZMQContext()
        self.studyDirectory = URL(fileURLWithPath: studyDirectory, isDirectory: true)
    }

    deinit {
        socket?.close()
        context.shutdown()
    }

    /// Sends `message` (a `worker_report` of `sequence`) and waits up to `timeout` seconds for the directive that
    /// answers it; nil when none came (no launcher, a launcher busy or gone) or when `launcher.address` is missing.
    func exchange(_ message: [UInt8], sequence: UInt64, timeout: Double) -> WorkerDirective? {
        guard let socket = connected() else { return nil }
        let deadline = Date().addingTimeInterval(timeout)
        do {
            try socket.setOption(.sendTimeout, Int32(max(1, min(timeout * 1000, 60_000))))
            guard try socket.send(message) else { return missed() }
            while true {
                let left = deadline.timeIntervalSinceNow
                guard left > 0 else { return missed() }
                try socket.setOption(.receiveTimeout, Int32(max(1, min(left * 1000, 60_000))))
                guard let frames = try socket.receiveFrames(maximumFrames: 4), let last = frames.frames.last else {
                    continue
                }
                // An answer to an earlier report that came late is not this one's.
                guard let answer = try? WorkerDirectiveMessage.decode(last), answer.sequence == sequence,
                    let directive = try? JSONDecoder().decode(WorkerDirective.self, from: Data(answer.json))
                else { continue }
                misses = 0
                return directive
            }
        } catch {
            return missed()
        }
    }

    private func missed() -> WorkerDirective? {
        misses += 1
        if misses >= 2 {
            // Connect afresh to whatever launcher.address says now.
            socket?.close()
            socket = nil
            misses = 0
        }
        return nil
    }

    private func connected() -> Socket? {
        if let socket { return socket }
        guard let address = LauncherAddress.read(fromDirectory: studyDirectory) else { return nil }
        do {
            let socket = try Socket(context: context, type: .dealer)
            try socket.setOption(.linger, 0)
            try socket.connect(address.workers)
            self.socket = socket
            endpoint = address.workers
            return socket
        } catch {
            return nil
        }
    }
}
