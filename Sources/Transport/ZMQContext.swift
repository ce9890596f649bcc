import CZeroMQ

/// A ZeroMQ context: thread-safe, shared by every socket of a process.
///
/// `shutdown()` makes every blocking call on its sockets fail with ETERM (so receiving threads stop); the context
/// itself is terminated when the last reference goes, which is after its last socket is closed (each socket keeps its
/// context alive). Sockets keep libzmq's default linger (-1: unsent messages are delivered before termination) unless
/// they set `.linger`; servers set 0.
public final class ZMQContext: Sendable {
    nonisolated(unsafe) let handle: UnsafeMutableRawPointer

    /// A new context with `ioThreads` I/O threads.
    public init(ioThreads: Int = 1) throws(ZMQError) {
        guard let handle = zmq_ctx_new() else {
            throw ZMQError(operation: "zmq_ctx_new", code: melissa_zmq_errno())
        }
        self.handle = handle
        _ = zmq_ctx_set(handle, ZMQ_IO_THREADS, Int32(clamping: ioThreads))
    }

    deinit {
        while zmq_ctx_term(handle) == -1 && melissa_zmq_errno() == EINTR {}
    }

    /// Wakes every blocked call on this context's sockets with ETERM and refuses new blocking calls.
    ///
    /// Safe from any thread; the sockets must still be closed (or released) by their owners.
    public func shutdown() {
        _ = zmq_ctx_shutdown(handle)
    }

    /// Whether libzmq was built with `capability` (e.g. `"curve"`, `"ipc"`).
    public static func has(_ capability: String) -> Bool {
        zmq_has(capability) != 0
    }

    /// libzmq's version (major, minor, patch).
    public static var version: (major: Int, minor: Int, patch: Int) {
        var major: Int32 = 0
        var minor: Int32 = 0
        var patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return (Int(major), Int(minor), Int(patch))
    }
}
