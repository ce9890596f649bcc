import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The study's secret token: 32 random bytes, hex, in a file only its owner can read.
///
/// Jobs find the file through `MELISSA_TOKEN_FILE`; the token itself appears in no script and not in the plan.
public enum StudyToken {
    /// Creates the token file at `path` with mode 0600 from the start (never readable by others, not even
    /// briefly); an existing file is kept so that re-planning does not lock out running jobs. Returns whether
    /// a new token was written.
    @discardableResult
    public static func ensure(at path: String) throws -> Bool {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if descriptor < 0 {
            let code = errno
            if code == EEXIST { return false }
            throw PlanningError.write(path: path, reason: String(cString: strerror(code)))
        }
        defer { close(descriptor) }
        var bytes = ""
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<32 {
            let byte = UInt8.random(in: 0...255, using: &generator)
            bytes += byte < 16 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
        }
        let data = Array((bytes + "\n").utf8)
        var written = 0
        while written < data.count {
            let result = data[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if result < 0 {
                if errno == EINTR { continue }
                throw PlanningError.write(path: path, reason: String(cString: strerror(errno)))
            }
            written += result
        }
        return true
    }
}
