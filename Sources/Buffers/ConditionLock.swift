#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A pthread mutex with two condition variables: the one primitive the buffers' waits are built on.
///
/// The ingest and the trainer run on dedicated threads (never on Swift's cooperative pool), so blocking here is fine.
final class ConditionLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let notFull: UnsafeMutablePointer<pthread_cond_t>
    private let notEmpty: UnsafeMutablePointer<pthread_cond_t>

    init() {
        mutex = .allocate(capacity: 1)
        notFull = .allocate(capacity: 1)
        notEmpty = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(notFull, nil)
        pthread_cond_init(notEmpty, nil)
    }

    deinit {
        pthread_cond_destroy(notEmpty)
        pthread_cond_destroy(notFull)
        pthread_mutex_destroy(mutex)
        notEmpty.deallocate()
        notFull.deallocate()
        mutex.deallocate()
    }

    @inline(__always) func lock() { pthread_mutex_lock(mutex) }
    @inline(__always) func unlock() { pthread_mutex_unlock(mutex) }
    /// Waits (lock held) until a writer may have room.
    func waitNotFull() { pthread_cond_wait(notFull, mutex) }
    /// Waits (lock held) until a reader may have something.
    func waitNotEmpty() { pthread_cond_wait(notEmpty, mutex) }
    /// Waits (lock held) until a reader may have something or `deadline` (CLOCK_REALTIME) passes; false on timeout.
    func waitNotEmpty(until deadline: timespec) -> Bool {
        var deadline = deadline
        return pthread_cond_timedwait(notEmpty, mutex, &deadline) == 0
    }

    /// The CLOCK_REALTIME time `seconds` from now, for ``waitNotEmpty(until:)``.
    static func deadline(after seconds: Double) -> timespec {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let whole = Int(seconds.rounded(.down))
        var nanoseconds = now.tv_nsec + Int((seconds - Double(whole)) * 1e9)
        var extra = 0
        if nanoseconds >= 1_000_000_000 {
            nanoseconds -= 1_000_000_000
            extra = 1
        }
        return timespec(tv_sec: now.tv_sec + whole + extra, tv_nsec: nanoseconds)
    }

    func signalNotFull() { pthread_cond_signal(notFull) }
    func signalNotEmpty() { pthread_cond_signal(notEmpty) }
    func broadcastAll() {
        pthread_cond_broadcast(notFull)
        pthread_cond_broadcast(notEmpty)
    }
}
