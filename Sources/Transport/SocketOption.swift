import CZeroMQ

/// An integer socket option.
public enum SocketOption: Sendable {
    /// `ZMQ_SNDHWM`: messages queued for sending before the socket blocks or drops (0: no limit).
    case sendHighWaterMark
    /// `ZMQ_RCVHWM`: messages queued on reception before peers are pushed back (0: no limit).
    case receiveHighWaterMark
    /// `ZMQ_LINGER`: milliseconds unsent messages are kept after close (-1: forever, 0: drop at once).
    case linger
    /// `ZMQ_ROUTER_MANDATORY`: 1 makes a ROUTER fail with EHOSTUNREACH instead of silently dropping.
    case routerMandatory
    /// `ZMQ_IMMEDIATE`: 1 queues messages only to completed connections.
    case immediate
    /// `ZMQ_RCVTIMEO`: milliseconds a receive waits before EAGAIN (-1: forever).
    case receiveTimeout
    /// `ZMQ_SNDTIMEO`: milliseconds a send waits before EAGAIN (-1: forever).
    case sendTimeout
    /// `ZMQ_CURVE_SERVER`: 1 makes this socket a CURVE server.
    case curveServer
    /// `ZMQ_SNDBUF`: the kernel send buffer in bytes (-1: the OS default).
    case sendBuffer
    /// `ZMQ_RCVBUF`: the kernel receive buffer in bytes (-1: the OS default).
    case receiveBuffer

    var rawValue: Int32 {
        switch self {
        case .sendHighWaterMark: ZMQ_SNDHWM
        case .receiveHighWaterMark: ZMQ_RCVHWM
        case .linger: ZMQ_LINGER
        case .routerMandatory: ZMQ_ROUTER_MANDATORY
        case .immediate: ZMQ_IMMEDIATE
        case .receiveTimeout: ZMQ_RCVTIMEO
        case .sendTimeout: ZMQ_SNDTIMEO
        case .curveServer: ZMQ_CURVE_SERVER
        case .sendBuffer: ZMQ_SNDBUF
        case .receiveBuffer: ZMQ_RCVBUF
        }
    }
}
