import CZeroMQ

/// The ZeroMQ socket patterns melissa uses.
public enum SocketType: Sendable {
    /// Sends round-robin to connected PULL peers.
    case push
    /// Fair-queues from connected PUSH peers.
    case pull
    /// Addresses peers by routing id: the first frame of every message.
    case router
    /// An asynchronous requester (talks to a ROUTER).
    case dealer
    /// A strict request-reply requester.
    case request
    /// A strict request-reply replier.
    case reply

    var rawValue: Int32 {
        switch self {
        case .push: ZMQ_PUSH
        case .pull: ZMQ_PULL
        case .router: ZMQ_ROUTER
        case .dealer: ZMQ_DEALER
        case .request: ZMQ_REQ
        case .reply: ZMQ_REP
        }
    }
}
