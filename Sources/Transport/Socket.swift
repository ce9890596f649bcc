import CZeroMQ

/// A ZeroMQ socket.
///
/// ZeroMQ sockets are not thread-safe: a socket may be handed to another thread (hence `Sendable`), but only one
/// thread may use it at a time. Blocking calls (`receive`, `send` without `dontWait`, `Poller.poll`) belong on
/// dedicated `Thread`s, never on Swift's cooperative pool. They throw a `ZMQError` whose `isContextTerminated` is
/// true once the context is shut down.
public final class Socket: @unchecked Sendable {
    private var handle: UnsafeMutableRawPointer?
    /// The context this socket belongs to (kept alive while the socket lives).
    public let context: ZMQContext
    /// The socket's pattern.
    public let type: SocketType

    /// A new socket of `type` in `context`.
    public init(context: ZMQContext, type: SocketType) throws(ZMQError) {
        guard let handle = zmq_socket(context.handle, type.rawValue) else {
            throw ZMQError(operation: "zmq_socket", code: melissa_zmq_errno())
        }
        self.handle = handle
        self.context = context
        self.type = type
    }

    deinit { close() }

    /// Closes the socket (idempotent). Unsent messages are kept for the linger period.
    public func close() {
        if let handle {
            _ = zmq_close(handle)
            self.handle = nil
        }
    }

    private func open(_ operation: String) throws(ZMQError) -> UnsafeMutableRawPointer {
        guard let handle else { throw ZMQError(operation: operation, code: ENOTSOCK) }
        return handle
    }

    /// Binds to `endpoint` (e.g. `tcp://127.0.0.1:*` for an ephemeral port; read it back with `lastEndpoint`).
    public func bind(_ endpoint: String) throws(ZMQError) {
        let handle = try open("zmq_bind")
        _ = try zmqCall("zmq_bind \(endpoint)") { zmq_bind(handle, endpoint) }
    }

    /// Connects to `endpoint` (asynchronously: the connection is made, and remade, in the background).
    public func connect(_ endpoint: String) throws(ZMQError) {
        let handle = try open("zmq_connect")
        _ = try zmqCall("zmq_connect \(endpoint)") { zmq_connect(handle, endpoint) }
    }

    /// Sets an integer option.
    public func setOption(_ option: SocketOption, _ value: Int32) throws(ZMQError) {
        let handle = try open("zmq_setsockopt")
        var value = value
        _ = try zmqCall("zmq_setsockopt \(option)") {
            zmq_setsockopt(handle, option.rawValue, &value, MemoryLayout<Int32>.size)
        }
    }

    /// Reads an integer option.
    public func option(_ option: SocketOption) throws(ZMQError) -> Int32 {
        let handle = try open("zmq_getsockopt")
        var value: Int32 = 0
        var size = MemoryLayout<Int32>.size
        _ = try zmqCall("zmq_getsockopt \(option)") { zmq_getsockopt(handle, option.rawValue, &value, &size) }
        return value
    }

    /// `ZMQ_MAXMSGSIZE`: a peer sending a larger frame is disconnected before it is read (-1: no limit).
    public func setMaximumMessageSize(_ bytes: Int64) throws(ZMQError) {
        let handle = try open("zmq_setsockopt")
        var value = bytes
        _ = try zmqCall("zmq_setsockopt ZMQ_MAXMSGSIZE") {
            zmq_setsockopt(handle, ZMQ_MAXMSGSIZE, &value, MemoryLayout<Int64>.size)
        }
    }

    /// Sets a byte-string option (`ZMQ_ROUTING_ID`, the CURVE keys in Z85, …) by its raw libzmq number.
    public func setOption(raw option: Int32, bytes: [UInt8]) throws(ZMQError) {
        let handle = try open("zmq_setsockopt")
        _ = try zmqCall("zmq_setsockopt \(option)") {
            bytes.withUnsafeBytes { zmq_setsockopt(handle, option, $0.baseAddress, $0.count) }
        }
    }

    /// Makes this socket a CURVE server with `secretKey` (40 Z85 characters).
    public func makeCurveServer(secretKey: String) throws(ZMQError) {
        try setOption(.curveServer, 1)
        try setOption(raw: ZMQ_CURVE_SECRETKEY, bytes: Array(secretKey.utf8))
    }

    /// Makes this socket a CURVE client of the server whose public key is `serverKey`, with its own key pair.
    public func makeCurveClient(serverKey: String, keyPair: CurveKeyPair) throws(ZMQError) {
        try setOption(raw: ZMQ_CURVE_SERVERKEY, bytes: Array(serverKey.utf8))
        try setOption(raw: ZMQ_CURVE_PUBLICKEY, bytes: Array(keyPair.publicKey.utf8))
        try setOption(raw: ZMQ_CURVE_SECRETKEY, bytes: Array(keyPair.secretKey.utf8))
    }

    /// The endpoint last bound or connected, with the port the OS chose for `*`.
    public var lastEndpoint: String {
        get throws(ZMQError) {
            let handle = try open("zmq_getsockopt")
            var buffer = [UInt8](repeating: 0, count: 512)
            var size = buffer.count
            _ = try zmqCall("zmq_getsockopt ZMQ_LAST_ENDPOINT") {
                buffer.withUnsafeMutableBytes { zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, $0.baseAddress, &size) }
            }
            let length = buffer.firstIndex(of: 0) ?? min(size, buffer.count)
            return String(decoding: buffer[..<length], as: UTF8.self)
        }
    }

    /// Sends one frame; `more` says another frame of the same message follows.
    ///
    /// Returns false (nothing sent) when `dontWait` is set and the message cannot be queued now, or when the send
    /// timeout expires.
    @discardableResult
    public func send(_ bytes: UnsafeRawBufferPointer, more: Bool = false, dontWait: Bool = false) throws(ZMQError)
        -> Bool
    {
        let handle = try open("zmq_send")
        let flags = (more ? ZMQ_SNDMORE : 0) | (dontWait ? ZMQ_DONTWAIT : 0)
        do {
            _ = try zmqCall("zmq_send") { zmq_send(handle, bytes.baseAddress, bytes.count, flags) }
            return true
        } catch  where error.isWouldBlock {
            return false
        }
    }

    /// Sends one frame from an array.
    @discardableResult
    public func send(_ bytes: [UInt8], more: Bool = false, dontWait: Bool = false) throws(ZMQError) -> Bool {
        let result = bytes.withUnsafeBytes { buffer -> Result<Bool, ZMQError> in
            do throws(ZMQError) {
                return .success(try send(buffer, more: more, dontWait: dontWait))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Sends a multi-frame message. With `dontWait`, returns false if its first frame could not be queued.
    @discardableResult
    public func send(frames: [[UInt8]], dontWait: Bool = false) throws(ZMQError) -> Bool {
        for (index, frame) in frames.enumerated() {
            let sent = try send(frame, more: index + 1 < frames.count, dontWait: dontWait)
            // ZeroMQ queues a multi-frame message atomically: once the first frame is in, the rest follow.
            if !sent { return false }
        }
        return true
    }

    /// Receives one frame into `message` (zero-copy: read it with `message.withUnsafeBytes`).
    ///
    /// Returns false when `dontWait` is set and nothing is waiting, or when the receive timeout expires.
    @discardableResult
    public func receive(into message: Message, dontWait: Bool = false) throws(ZMQError) -> Bool {
        let handle = try open("zmq_msg_recv")
        do {
            _ = try zmqCall("zmq_msg_recv") { zmq_msg_recv(message.pointer, handle, dontWait ? ZMQ_DONTWAIT : 0) }
            return true
        } catch  where error.isWouldBlock {
            return false
        }
    }

    /// Receives a whole multi-frame message as copies (for small control messages); nil as for `receive(into:)`.
    ///
    /// At most `maximumFrames` frames are kept; further frames are received and discarded (the count says so).
    public func receiveFrames(dontWait: Bool = false, maximumFrames: Int = 16) throws(ZMQError)
        -> (frames: [[UInt8]], total: Int)?
    {
        let message = Message()
        guard try receive(into: message, dontWait: dontWait) else { return nil }
        var frames = [message.bytes]
        var total = 1
        while message.hasMore {
            // The remaining frames of a message are already here: this never blocks.
            try receive(into: message)
            total += 1
            if frames.count < maximumFrames { frames.append(message.bytes) }
        }
        return (frames, total)
    }

    /// Receives one whole multi-frame message, every frame of it, whatever their number (a ROUTER echoing an
    /// envelope must keep them all); nil when `dontWait` is set and nothing is waiting, or when the receive timeout
    /// expires.
    public func receiveAllFrames(dontWait: Bool = false) throws(ZMQError) -> [[UInt8]]? {
        let message = Message()
        guard try receive(into: message, dontWait: dontWait) else { return nil }
        var frames = [message.bytes]
        while message.hasMore {
            // The remaining frames of a message are already here: this never blocks.
            try receive(into: message)
            frames.append(message.bytes)
        }
        return frames
    }

    var rawHandle: UnsafeMutableRawPointer? { handle }
}
