import Foundation
import Transport
import WireProtocol

/// A training rank's receiving loop: its PULL socket on a dedicated thread, frames read in place (zero-copy) and
/// handed to its `SampleAssembler`, which may keep the payload frame itself as a sample's storage (it then takes the
/// frame's content out of `second`, and the next receive fills a new one). Stops when the context is shut down.
final class DataReceiver: @unchecked Sendable {
    private let socket: Socket
    private let assembler: SampleAssembler
    private let stopped = DispatchSemaphore(value: 0)

    init(socket: Socket, assembler: SampleAssembler) {
        self.socket = socket
        self.assembler = assembler
    }

    func start(name: String) {
        let thread = Thread { [self] in
            run()
            socket.close()
            stopped.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Waits for the loop to end (after the context's shutdown).
    func join() { stopped.wait() }

    private func run() {
        let first = Message()
        let second = Message()
        let extra = Message()
        while true {
            do throws(ZMQError) {
                try socket.receive(into: first)
                var frames = 1
                if first.hasMore {
                    try socket.receive(into: second)
                    frames = 2
                    var more = second.hasMore
                    while more {
                        try socket.receive(into: extra)
                        frames += 1
                        more = extra.hasMore
                    }
                }
                first.withUnsafeBytes { header in
                    if frames >= 2 {
                        second.withUnsafeBytes { payload in
                            assembler.handle(
                                first: header, second: payload, frameCount: frames, detachSecond: second.detach)
                        }
                    } else {
                        assembler.handle(first: header, second: nil, frameCount: frames)
                    }
                }
            } catch {
                // ETERM: the server stops. Nothing else is expected from a PULL receive; if it happens, keep serving.
                if error.isContextTerminated { return }
            }
        }
    }
}
