/// Bounds a log line that a client can make the server repeat at its own pace (every newer attempt of a simulation
/// rereads `redraws.json` and says so when the file is missing or unreadable, and anyone with the token can register
/// attempt after attempt): the first `verbatim` occurrences are logged as they come, then they are counted and one
/// summary line says how many came, at most once every `interval` seconds; ``flush()`` says what is left.
struct LogThrottle {
    /// Occurrences logged as they come.
    let verbatim: Int
    /// Seconds between two summaries.
    let interval: Double
    /// Occurrences so far.
    private(set) var total = 0
    /// Occurrences since the last line logged.
    private var unsaid = 0
    /// When the last line was logged.
    private var lastLogged = -Double.infinity

    /// A throttle that logs `verbatim` lines as they come, then a summary every `interval` seconds at most.
    init(verbatim: Int = 5, interval: Double = 60) {
        self.verbatim = verbatim
        self.interval = interval
    }

    /// What to log for one more occurrence of `line` at `now` (seconds, monotonic): the line itself while fewer than
    /// `verbatim` came, a summary when the last line logged is `interval` old, nil otherwise (it is counted).
    mutating func note(_ line: String, at now: Double) -> String? {
        total += 1
        if total < verbatim {
            lastLogged = now
            return line
        }
        if total == verbatim {
            lastLogged = now
            return line + " (repeats of this line are counted and summarised every \(Int(interval)) s)"
        }
        unsaid += 1
        guard now - lastLogged >= interval else { return nil }
        defer {
            unsaid = 0
            lastLogged = now
        }
        return summary(line, now: now)
    }

    /// The summary of the occurrences not logged yet (nil if none), for the end of the run.
    mutating func flush(_ line: String, at now: Double) -> String? {
        guard unsaid > 0 else { return nil }
        defer {
            unsaid = 0
            lastLogged = now
        }
        return summary(line, now: now)
    }

    private func summary(_ line: String, now: Double) -> String {
        let seconds = lastLogged.isFinite ? Int((now - lastLogged).rounded()) : 0
        return "\(line) (\(unsaid) more times in the last \(seconds) s, \(total) in all)"
    }
}
