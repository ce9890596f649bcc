import CZeroMQ

/// Waits until one of several sockets has something to receive.
///
/// Built once per loop (no allocation per poll); used by the thread that owns the sockets.
public final class Poller {
    private var items: [zmq_pollitem_t]
    private let sockets: [Socket]

    /// A poller for reading on `sockets`.
    public init(sockets: [Socket]) {
        self.sockets = sockets
        items = sockets.map { zmq_pollitem_t(socket: $0.rawHandle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0) }
    }

    /// Waits up to `milliseconds` (-1: forever) and returns how many sockets are readable.
    @discardableResult
    public func poll(milliseconds: Int) throws(ZMQError) -> Int {
        let count = Int32(items.count)
        let result = try zmqCall("zmq_poll") {
            items.withUnsafeMutableBufferPointer { zmq_poll($0.baseAddress, count, milliseconds) }
        }
        return Int(result)
    }

    /// Whether socket `index` (in the order given to `init`) was readable at the last poll.
    public func isReadable(_ index: Int) -> Bool {
        items.indices.contains(index) && items[index].revents & Int16(ZMQ_POLLIN) != 0
    }
}
