import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One launcher per study: an exclusive `flock` on `<study dir>/launcher.lock`, held while a launcher runs.
///
/// The file holds the holder's pid, host and start time, for the message a second launcher prints. The lock goes
/// with the holder's open file: a launcher that exits, crashes or is killed with SIGKILL releases it at once, so a
/// stale lock is taken over without a word (the file's old contents are only words). The descriptor is opened
/// close-on-exec: the jobs a launcher starts never hold the lock. On a shared file system the lock works across
/// nodes where the file system supports `flock` (Linux NFS v4, Lustre with `flock` mounted, GPFS).
public final class StudyLock: Sendable {
    /// The lock file's name in the study directory.
    public static let fileName = "launcher.lock"

    /// Who holds a study's lock, as its file says.
    public struct Holder: Sendable, Hashable, CustomStringConvertible {
        /// The holder's pid.
        public var pid: Int?
        /// The holder's host.
        public var host: String?
        /// When it took the lock.
        public var since: String?

        /// `pid 123 on node1 since 2026-12-03T05:40:00Z`, as far as known.
        public var description: String {
            var words: [String] = []
            if let pid { words.append("pid \(pid)") }
            if let host { words.append("on \(host)") }
            if let since { words.append("since \(since)") }
            return words.isEmpty ? "another process" : words.joined(separator: " ")
        }
    }

    private let descriptor: Mutex<Int32>
    /// The lock file.
    public let path: String

    /// Takes the lock of the study in `studyDirectory`, or throws ``LauncherError/launcherRunning(studyDirectory:holder:)``
    /// when a live process holds it.
    public init(studyDirectory: String) throws {
        path = studyDirectory + "/" + Self.fileName
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw LauncherError.cannotLock(path: path, reason: String(cString: strerror(errno)))
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(fd)
            if code == EWOULDBLOCK {
                throw LauncherError.launcherRunning(studyDirectory: studyDirectory, holder: Self.holder(path))
            }
            throw LauncherError.cannotLock(path: path, reason: String(cString: strerror(code)))
        }
        let text =
            "pid \(ProcessInfo.processInfo.processIdentifier)\nhost \(ProcessInfo.processInfo.hostName)\n"
            + "since \(ISO8601DateFormatter().string(from: Date()))\n"
        _ = ftruncate(fd, 0)
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
        descriptor = Mutex(fd)
    }

    /// Whether a live process holds the lock of the study in `studyDirectory` (and who, as far as its file says).
    public static func holder(ofStudy studyDirectory: String) -> Holder? {
        let path = studyDirectory + "/" + fileName
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            _ = flock(fd, LOCK_UN)
            return nil
        }
        return holder(path)
    }

    /// Releases the lock (once; the deinitialiser releases it otherwise).
    public func release() {
        descriptor.withLock { fd in
            guard fd >= 0 else { return }
            _ = flock(fd, LOCK_UN)
            close(fd)
            fd = -1
        }
    }

    deinit {
        release()
    }

    private static func holder(_ path: String) -> Holder {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        var holder = Holder()
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "pid": holder.pid = Int(parts[1])
            case "host": holder.host = parts[1]
            case "since": holder.since = parts[1]
            default: break
            }
        }
        return holder
    }
}
