import Foundation
import Synchronization
import Transport
import WireProtocol

/// The launcher's end of the worker channel (docs/protocol.md, "The worker channel"): a ROUTER socket served by one
/// dedicated thread, which queues what workers send and sends what the launcher answers.
///
/// The launcher reads the queue in its own loop (``take()``), so that every report is handled in order with the rest
/// of its state, and waits for the next one with ``waitForMessage(atMost:)``; nothing here blocks Swift's cooperative
/// pool. The socket belongs to the thread; answers reach it through an outbox.
final class WorkerChannel: Sendable {
    /// One message from a worker: the ROUTER's frames before the message (the peer's id, then its envelope, which
    /// the answer repeats) and the message.
    struct Incoming: Sendable {
        var envelope: [[UInt8]]
        var message: [UInt8]
    }

    private struct Queues {
        var inbox: [Incoming] = []
        var outbox: [[[UInt8]]] = []
        var waiters: [CheckedContinuation<Void, Never>] = []
        var stopped = false
    }

    /// The endpoint workers connect to (`tcp://host:port`, the advertised host).
    let endpoint: String
    private let context: ZMQContext
    private let queues = Mutex(Queues())
    private let finished = DispatchSemaphore(value: 0)

    /// Binds a ROUTER on an ephemeral port of `bindHost` (`127.0.0.1`, or `*` for every interface) and starts serving
    /// it; `advertisedHost` (when given) replaces the bound host in ``endpoint``.
    init(bindHost: String, advertisedHost: String?) throws {
        let context = try ZMQContext()
        let socket = try Socket(context: context, type: .router)
        do {
            try socket.setOption(.linger, 0)
            try socket.setMaximumMessageSize(Int64(WireFormat.maximumWorkerMessageSize))
            try socket.bind("tcp://\(bindHost):*")
            var endpoint = try socket.lastEndpoint
            if let advertisedHost, let colon = endpoint.lastIndex(of: ":") {
                endpoint = "tcp://" + advertisedHost + endpoint[colon...]
            }
            self.endpoint = endpoint
        } catch {
            socket.close()
            context.shutdown()
            throw error
        }
        self.context = context
        let thread = Thread { [self] in
            serve(socket)
            socket.close()
            finished.signal()
        }
        thread.name = "melissa-workers"
        thread.start()
    }

    deinit {
        stop()
    }

    /// Every message received since the last call, oldest first.
    func take() -> [Incoming] {
        queues.withLock { queues in
            defer { queues.inbox = [] }
            return queues.inbox
        }
    }

    /// Answers `incoming` with `answer` (sent by the channel's thread, never blocking on a slow peer).
    func answer(_ incoming: Incoming, with answer: [UInt8]) {
        queues.withLock { $0.outbox.append(incoming.envelope + [answer]) }
    }

    /// Returns once a message is waiting, or after `seconds` at most.
    func waitForMessage(atMost seconds: Double) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = queues.withLock { queues in
                if !queues.inbox.isEmpty || queues.stopped { return true }
                queues.waiters.append(continuation)
                return false
            }
            if ready {
                continuation.resume()
                return
            }
            Task { [self] in
                try? await Task.sleep(for: .seconds(max(0, seconds)))
                wake()
            }
        }
    }

    /// Stops the thread and closes the socket (idempotent).
    func stop() {
        let first = queues.withLock { queues in
            defer { queues.stopped = true }
            return !queues.stopped
        }
        guard first else { return }
        wake()
        context.shutdown()
        finished.wait()
    }

    private func wake() {
        let waiters = queues.withLock { queues in
            defer { queues.waiters = [] }
            return queues.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    private func serve(_ socket: Socket) {
        let poller = Poller(sockets: [socket])
        while !queues.withLock({ $0.stopped }) {
            do throws(ZMQError) {
                let outgoing = queues.withLock { queues in
                    defer { queues.outbox = [] }
                    return queues.outbox
                }
                for frames in outgoing {
                    do {
                        // A vanished or slow peer is not waited for: it asks again.
                        try socket.send(frames: frames, dontWait: true)
                    } catch  where error.isHostUnreachable || error.isWouldBlock {
                        continue
                    }
                }
                // Short polls: an answer queued meanwhile leaves within milliseconds.
                guard try poller.poll(milliseconds: 10) > 0 else { continue }
                var received: [Incoming] = []
                while let frames = try socket.receiveAllFrames(dontWait: true) {
                    guard frames.count >= 2, let message = frames.last else { continue }
                    received.append(Incoming(envelope: Array(frames.dropLast()), message: message))
                }
                if !received.isEmpty {
                    queues.withLock { $0.inbox += received }
                    wake()
                }
            } catch {
                if error.isContextTerminated { return }
            }
        }
    }
}
