import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The system calls a checkpoint is written and read with. Their errors name the file and say the system's error in
/// words ("No space left on device (errno 28)"), as ``ServerError/checkpoint(_:)``, where Foundation's would dump
/// an `NSError` or say nothing of the file.
struct SystemFile {
    /// What is at a path.
    enum Kind: Equatable {
        case absent, regular, directory, other
    }

    let path: String
    private let descriptor: Int32

    /// The system's error `code` in words, with its number.
    static func describe(_ code: Int32) -> String {
        "\(String(cString: strerror(code))) (errno \(code))"
    }

    private static func failure(_ what: String, _ path: String, _ code: Int32 = errno) -> ServerError {
        .checkpoint("cannot \(what) \(path): \(describe(code))")
    }

    /// What is at `path`, following a symbolic link (absent too when a component of the path is no directory).
    static func kind(of path: String) -> Kind {
        var status = stat()
        guard stat(path, &status) == 0 else { return errno == ENOENT || errno == ENOTDIR ? .absent : .other }
        switch status.st_mode & S_IFMT {
        case S_IFREG: return .regular
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    /// The size of the regular file at `path`, or nil.
    static func size(of path: String) -> Int? {
        var status = stat()
        guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
        return Int(status.st_size)
    }

    /// Creates (or truncates) the file at `path` for writing.
    static func create(_ path: String) throws -> SystemFile {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw failure("create", path) }
        return SystemFile(path: path, descriptor: descriptor)
    }

    /// Appends all of `bytes` (a short write goes on where it stopped).
    func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let written = Foundation.write(descriptor, base + done, bytes.count - done)
            if written < 0 {
                if errno == EINTR { continue }
                throw Self.failure("write", path)
            }
            done += written
        }
    }

    /// Flushes the file to the disk.
    func synchronize() throws {
        while fsync(descriptor) != 0 {
            if errno != EINTR { throw Self.failure("flush", path) }
        }
    }

    /// Closes the file; an error the system reports only now (a network filesystem's) is thrown.
    func close() throws {
        if Foundation.close(descriptor) != 0 { throw Self.failure("close", path) }
    }

    /// Closes the file, ignoring errors (after a failed write).
    func closeQuietly() {
        _ = Foundation.close(descriptor)
    }

    /// Renames `source` to `destination`, replacing it (atomically, on one filesystem).
    static func rename(_ source: String, to destination: String) throws {
        if Foundation.rename(source, destination) != 0 {
            throw ServerError.checkpoint("cannot rename \(source) to \(destination): \(describe(errno))")
        }
    }

    /// Flushes the directory holding `path` (its renames) to the disk; errors are ignored: not every filesystem
    /// flushes directories, and the file itself already is.
    static func synchronizeDirectory(of path: String) {
        let directory = (path as NSString).deletingLastPathComponent
        let descriptor = open(directory.isEmpty ? "." : directory, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        _ = Foundation.close(descriptor)
    }

    /// The whole contents of the regular file at `path`.
    static func contents(of path: String) throws -> Data {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { throw ServerError.checkpoint("\(path) does not exist") }
            throw failure("open", path)
        }
        defer { _ = Foundation.close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw failure("read", path) }
        switch status.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw ServerError.checkpoint("\(path) is a directory, not a checkpoint file")
        default: throw ServerError.checkpoint("\(path) is not a regular file")
        }
        var data = Data(count: Int(status.st_size))
        var done = 0
        while true {
            if done == data.count { data.count += max(data.count, 4096) }
            let count = data.count - done
            let read = data.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress! + done, count) }
            if read < 0 {
                if errno == EINTR { continue }
                throw failure("read", path)
            }
            if read == 0 { break }
            done += read
        }
        data.count = done
        return data
    }
}
