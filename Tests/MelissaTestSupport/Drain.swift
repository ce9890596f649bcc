import Foundation
import Synchronization

/// Reads a file handle to its end on a thread of its own.
final class Drain: Sendable {
    private let data = Mutex(Data())
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread { [self] in
            let read = handle.readDataToEndOfFile()
            data.withLock { $0 = read }
            done.signal()
        }.start()
    }

    /// Everything read, once the writer closed its end.
    func wait() -> Data {
        done.wait()
        return data.withLock { $0 }
    }
}
