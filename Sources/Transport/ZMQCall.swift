import CZeroMQ

/// The one place where a libzmq call's `-1` becomes a thrown `ZMQError` and EINTR is retried.
///
/// A signal (SIGTERM from Slurm, SIGINT, a profiler's SIGPROF) interrupts blocking calls with EINTR; retrying here
/// means no caller ever sees it.
@inline(__always)
func zmqCall(_ operation: @autoclosure () -> String, _ body: () -> Int32) throws(ZMQError) -> Int32 {
    while true {
        let result = body()
        if result != -1 { return result }
        let code = melissa_zmq_errno()
        if code == EINTR { continue }
        throw ZMQError(operation: operation(), code: code)
    }
}
