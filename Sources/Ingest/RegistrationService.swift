import Foundation
import Transport
import WireProtocol

/// The registration and control ROUTER sockets, served by one dedicated thread polling both.
final class RegistrationService: @unchecked Sendable {
    private let registration: Socket
    private let control: Socket
    private let registrationHandler: RegistrationHandler
    private let controlHandler: ControlHandler
    private let stopped = DispatchSemaphore(value: 0)

    init(
        registration: Socket, control: Socket, registrationHandler: RegistrationHandler, controlHandler: ControlHandler
    ) {
        self.registration = registration
        self.control = control
        self.registrationHandler = registrationHandler
        self.controlHandler = controlHandler
    }

    func start() {
        let thread = Thread { [self] in
            run()
            registration.close()
            control.close()
            stopped.signal()
        }
        thread.name = "melissa-registration"
        thread.start()
    }

    func join() { stopped.wait() }

    private func run() {
        let poller = Poller(sockets: [registration, control])
        while true {
            do throws(ZMQError) {
                try poller.poll(milliseconds: -1)
                if poller.isReadable(0) { try serve(registration) { registrationHandler.reply(to: $0) } }
                if poller.isReadable(1) { try serve(control) { controlHandler.reply(to: $0) } }
            } catch {
                if error.isContextTerminated { return }
            }
        }
    }

    /// Receives every waiting message of a ROUTER and answers each through the same envelope.
    ///
    /// A ROUTER message is [peer id, envelope…, message]: the message is the **last** frame, whatever the number of
    /// envelope frames before it (a DEALER may send none, a REQ sends one empty delimiter); the answer echoes the
    /// envelope, [peer id, envelope…, answer], so that every registration message gets exactly one answer
    /// (docs/protocol.md).
    private func serve(_ socket: Socket, _ answer: (UnsafeRawBufferPointer) -> [UInt8]?) throws(ZMQError) {
        while let frames = try socket.receiveAllFrames(dontWait: true) {
            guard frames.count >= 2, let payload = frames.last else { continue }
            guard let reply = payload.withUnsafeBytes({ answer($0) }) else { continue }
            var out = Array(frames.dropLast())
            out.append(reply)
            do {
                // Never block the service on one slow or vanished peer.
                try socket.send(frames: out, dontWait: true)
            } catch  where error.isHostUnreachable || error.isWouldBlock {
                continue
            }
        }
    }
}
