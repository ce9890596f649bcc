import Foundation
import Launching
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Shows a launch: on a terminal, one live progress line redrawn in place with events above it; otherwise plain
/// time-stamped log lines (the progress at most every 10 seconds, when it changed).
final class ProgressPrinter: Sendable {
    private struct State {
        var lastLine = ""
        var lastPrinted = Date.distantPast
        var lineShown = false
    }

    private let terminal: Bool
    private let state = Mutex(State())
    /// `<study dir>/launcher.log`: every event and, once a minute, the progress, with the date (appended across
    /// launches).
    private let logFile: Mutex<FileHandle?> = Mutex(nil)
    private let lastLogged = Mutex(Date.distantPast)

    init(terminal: Bool = isatty(STDOUT_FILENO) != 0) {
        self.terminal = terminal
    }

    /// Also writes the launch's events into `path` (created when missing, appended to otherwise); a file that
    /// cannot be opened is said once on standard error and the launch goes on.
    func log(to path: String) {
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            FileHandle.standardError.write(Data("melissa launch: cannot write the launcher log \(path)\n".utf8))
            return
        }
        _ = try? handle.seekToEnd()
        logFile.withLock { $0 = handle }
        appendToLog(
            "==== melissa launch (pid \(ProcessInfo.processInfo.processIdentifier) on "
                + "\(ProcessInfo.processInfo.hostName)): \(CommandLine.arguments.joined(separator: " ")) ====")
    }

    private func appendToLog(_ line: String) {
        logFile.withLock { handle in
            guard let handle else { return }
            let formatter = ISO8601DateFormatter()
            try? handle.write(contentsOf: Data((formatter.string(from: Date()) + " " + line + "\n").utf8))
        }
    }

    func handle(_ report: LaunchReport) {
        switch report {
        case .event(let message): appendToLog(message)
        case .progress(let progress):
            let due = lastLogged.withLock { last in
                guard Date().timeIntervalSince(last) >= 60 else { return false }
                last = Date()
                return true
            }
            if due { appendToLog(progress.line) }
        }
        state.withLock { state in
            switch report {
            case .event(let message):
                if terminal {
                    write("\r\u{1B}[K" + message + "\n" + (state.lineShown ? state.lastLine : ""))
                } else {
                    write(Self.stamp() + " " + message + "\n")
                }
            case .progress(let progress):
                let line = progress.line
                if terminal {
                    if line != state.lastLine || !state.lineShown { write("\r\u{1B}[K" + line) }
                    state.lineShown = true
                } else if line != state.lastLine, Date().timeIntervalSince(state.lastPrinted) >= 10 {
                    write(Self.stamp() + " " + line + "\n")
                    state.lastPrinted = Date()
                }
                state.lastLine = line
            }
        }
    }

    /// Writes a line into the launcher log only (the outcome, say).
    func logOnly(_ line: String) {
        appendToLog(line)
    }

    /// Ends the live line (before the final message).
    func finish() {
        state.withLock { state in
            if terminal, state.lineShown { write("\n") }
            state.lineShown = false
        }
    }

    private func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    private static func stamp() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        return formatter.string(from: Date())
    }
}
