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

    init(terminal: Bool = isatty(STDOUT_FILENO) != 0) {
        self.terminal = terminal
    }

    func handle(_ report: LaunchReport) {
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
