import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A Python process of `melissa_torch` (the trainer, or the predictor of an exported model), supervised: its
/// standard input and output are the channel, its standard error goes on to ours line by line (with `prefix`), and
/// the last lines of it are kept for the error message when it fails.
final class TorchProcess {
    private let process = Process()
    private let input: FileHandle
    private let output: Int32
    private let tail = LineTail()
    private var pending: [UInt8] = []
    private let errorsDone = DispatchSemaphore(value: 0)
    /// What the process is, in messages ("the PyTorch trainer of rank 0").
    let role: String
    private static let keptLines = 30

    /// Starts `python -m module arguments…` in `directory`, with `package` (the directory holding `melissa_torch/`)
    /// first on `PYTHONPATH`.
    init(
        python: String, module: String, arguments: [String] = [], package: URL, directory: URL?, role: String,
        prefix: String, environment extra: [String: String] = [:]
    ) throws {
        // A write to a trainer that died must be an error (EPIPE), not the end of the server.
        signal(SIGPIPE, SIG_IGN)
        self.role = role
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        if python.contains("/") {
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = ["-m", module] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [python, "-m", module] + arguments
        }
        var environment = ProcessInfo.processInfo.environment
        let existing = environment["PYTHONPATH"].map { ":" + $0 } ?? ""
        environment["PYTHONPATH"] = package.path + existing
        environment["PYTHONUNBUFFERED"] = "1"
        for (key, value) in extra { environment[key] = value }
        process.environment = environment
        if let directory { process.currentDirectoryURL = directory }
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        do {
            try process.run()
        } catch {
            throw TrainingError.backend("cannot start \(role) (\(python) -m \(module)): \(error)")
        }
        input = stdin.fileHandleForWriting
        output = stdout.fileHandleForReading.fileDescriptor
        let errors = stderr.fileHandleForReading
        let tail = self.tail
        let done = errorsDone
        let thread = Thread {
            Self.forward(errors.fileDescriptor, prefix: prefix, tail: tail)
            done.signal()
        }
        thread.name = "melissa-torch-stderr"
        thread.start()
    }

    deinit {
        if process.isRunning {
            try? input.close()
            // A trainer exits at the end of its input; one that does not within a few seconds is ended.
            let deadline = Date().addingTimeInterval(5)
            while process.isRunning, Date() < deadline { usleep(10_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
    }

    /// Copies the process's standard error to ours, line by line, keeping the last lines.
    private static func forward(_ descriptor: Int32, prefix: String, tail: LineTail) {
        var partial: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        func emit(_ bytes: ArraySlice<UInt8>) {
            let line = String(decoding: bytes, as: UTF8.self)
            FileHandle.standardError.write(Data((prefix + line + "\n").utf8))
            tail.lines.withLock {
                $0.append(line)
                if $0.count > keptLines { $0.removeFirst($0.count - keptLines) }
            }
        }
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            partial += chunk[0..<count]
            while let newline = partial.firstIndex(of: 0x0A) {
                emit(partial[..<newline])
                partial.removeSubrange(...newline)
            }
        }
        if !partial.isEmpty { emit(partial[...]) }
    }

    /// The last lines of the process's standard error.
    var errorTail: [String] { tail.lines.withLock { $0 } }

    /// Writes `bytes` to the process's standard input.
    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { raw in
                write(input.fileDescriptor, raw.baseAddress, raw.count)
            }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { throw died("its input is closed (\(String(cString: strerror(errno))))") }
            offset += written
        }
    }

    /// Reads exactly `count` bytes of the process's standard output.
    func receive(count: Int) throws -> [UInt8] {
        while pending.count < count {
            guard try fill() else { throw died("its output ended") }
        }
        let bytes = Array(pending[0..<count])
        pending.removeFirst(count)
        return bytes
    }

    /// Reads one line of the process's standard output (without its newline).
    func receiveLine() throws -> [UInt8] {
        var searched = 0
        while true {
            if let newline = pending[searched...].firstIndex(of: 0x0A) {
                let line = Array(pending[..<newline])
                pending.removeSubrange(...newline)
                return line
            }
            searched = pending.count
            guard try fill() else { throw died("its output ended") }
        }
    }

    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            if count < 0 { throw died("reading its output failed: \(String(cString: strerror(errno)))") }
            guard count > 0 else { return false }
            pending += chunk[0..<count]
            return true
        }
    }

    /// Waits for the process to end (its input closed first) and returns its exit status.
    @discardableResult
    func finish() -> Int32 {
        try? input.close()
        process.waitUntilExit()
        _ = errorsDone.wait(timeout: .now() + 2)
        return process.terminationStatus
    }

    /// The error of a process that stopped answering: how it ended and the last lines of its standard error.
    func died(_ what: String) -> TrainingError {
        // Its standard error may still be on the way: wait for the process, then briefly for the last lines.
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        var how = "it is still running"
        if !process.isRunning {
            _ = errorsDone.wait(timeout: .now() + 2)
            how =
                process.terminationReason == .uncaughtSignal
                ? "it was killed by signal \(process.terminationStatus)"
                : "it exited with status \(process.terminationStatus)"
        }
        let lines = errorTail.suffix(12)
        let log = lines.isEmpty ? "" : "; its last lines:\n" + lines.map { "    " + $0 }.joined(separator: "\n")
        return .backend("\(role) stopped answering: \(what), \(how)\(log)")
    }
}

/// The last lines a process wrote to its standard error, shared with the thread that reads them.
private final class LineTail: Sendable {
    let lines = Mutex<[String]>([])
}
