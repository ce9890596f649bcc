import CZeroMQ

/// One received ZeroMQ frame, held in a `zmq_msg_t` so its bytes are read where libzmq put them (no copy).
///
/// Reuse one `Message` across receives: libzmq releases the previous content on each receive.
/// Not thread-safe: owned by the thread that receives into it.
public final class Message {
    let pointer: UnsafeMutablePointer<zmq_msg_t>

    /// An empty frame.
    public init() {
        pointer = .allocate(capacity: 1)
        zmq_msg_init(pointer)
    }

    deinit {
        zmq_msg_close(pointer)
        pointer.deallocate()
    }

    /// The frame's size in bytes.
    public var count: Int { zmq_msg_size(pointer) }

    /// Whether more frames of the same message follow.
    public var hasMore: Bool { zmq_msg_more(pointer) != 0 }

    /// Calls `body` with the frame's bytes, valid only during the call (and until the next receive).
    @inline(__always)
    public func withUnsafeBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let size = zmq_msg_size(pointer)
        guard size > 0, let data = zmq_msg_data(pointer) else {
            return try body(UnsafeRawBufferPointer(start: nil, count: 0))
        }
        return try body(UnsafeRawBufferPointer(start: data, count: size))
    }

    /// A copy of the frame's bytes.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// Moves the frame's content out (no copy: `zmq_msg_move`) into a ``ReceivedFrame`` that keeps it until it is
    /// released; this message is left empty, ready for the next receive.
    public func detach() -> ReceivedFrame {
        let frame = ReceivedFrame()
        zmq_msg_move(frame.pointer, pointer)
        return frame
    }
}

/// A received frame's content taken out of its ``Message`` (``Message/detach()``), freed (`zmq_msg_close`) when
/// the last reference goes, from whichever thread: what a buffered sample holds when a whole time step came in one
/// frame. Its bytes never move and are never written after the receive.
public final class ReceivedFrame: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<zmq_msg_t>

    init() {
        pointer = .allocate(capacity: 1)
        zmq_msg_init(pointer)
    }

    deinit {
        zmq_msg_close(pointer)
        pointer.deallocate()
    }

    /// The frame's bytes, valid as long as this object lives.
    public var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: zmq_msg_data(pointer), count: zmq_msg_size(pointer))
    }
}
