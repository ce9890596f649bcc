import Foundation
import WireProtocol

/// The training server as the launcher sees it: not submitted yet, submitted and starting, listening (pinged every
/// heartbeat), or done (its job exited 0); and which attempt runs, how often it was restarted, what it last said.
///
/// Its state is private, so that, say, an address without a job or a ping time before listening cannot be written.
struct ServerLifecycle: Sendable {
    private enum State: Sendable {
        case notSubmitted
        case starting(job: JobID, submittedAt: Date)
        case listening(job: JobID, address: ServerAddress, lastPing: Date, lastStatusAt: Date)
        case done(job: JobID)
    }

    private var state = State.notSubmitted
    /// The attempt of the server's job (the next one's, while none is live).
    private(set) var attempt = 0
    /// How often the server was restarted (over every launch of the study).
    private(set) var restarts = 0
    /// The last status the server sent (kept across restarts, for progress reports).
    private(set) var lastStatus: ServerStatus?
    /// The server was (re)started from its checkpoint and its first status has not been compared with the journal.
    private var reconcilePending = false
    /// Pings in a row that got no status (since it last answered or listened).
    private(set) var missedPings = 0

    /// The server's job, once submitted (or adopted).
    var job: JobID? {
        switch state {
        case .notSubmitted: nil
        case .starting(let job, _), .listening(let job, _, _, _), .done(let job): job
        }
    }

    /// Where it listens, once it published its address (and until it is restarted).
    var address: ServerAddress? {
        if case .listening(_, let address, _, _) = state { address } else { nil }
    }

    /// Whether its job exited 0.
    var isDone: Bool {
        if case .done = state { true } else { false }
    }

    /// When the job that has not published its address yet was submitted.
    var startingSince: Date? {
        if case .starting(_, let submittedAt) = state { submittedAt } else { nil }
    }

    /// On a resume: `count` server jobs were submitted before, `restartsSoFar` of them after a death (nil: every
    /// job after the first); without a live one to adopt, the next is a new attempt. A server stopped by a pause or
    /// a launcher that stopped is started again without counting a restart.
    mutating func resume(serverJobsSoFar count: Int, restartsSoFar: Int? = nil) {
        restarts = restartsSoFar ?? (count - 1)
        if job == nil { attempt = count }
    }

    /// A live server job an earlier launcher submitted.
    mutating func adopt(_ job: JobID, attempt: Int, submittedAt: Date) {
        state = .starting(job: job, submittedAt: submittedAt)
        self.attempt = attempt
        // What completed while no launcher watched is compared with the server's view at its first status.
        reconcilePending = true
    }

    /// The server's job was submitted; `restart`: from its checkpoint, to be reconciled at its first status.
    mutating func submitted(_ job: JobID, at time: Date, restart: Bool) {
        state = .starting(job: job, submittedAt: time)
        reconcilePending = restart
    }

    /// The starting server published `address`.
    mutating func listened(at address: ServerAddress, time: Date) {
        guard case .starting(let job, _) = state else { return }
        state = .listening(job: job, address: address, lastPing: .distantPast, lastStatusAt: time)
        missedPings = 0
    }

    /// The address to ping when a heartbeat is due at `time` (the ping is recorded as sent); nil otherwise.
    mutating func pingDue(at time: Date, every interval: Double) -> ServerAddress? {
        guard case .listening(let job, let address, let lastPing, let lastStatusAt) = state,
            time.timeIntervalSince(lastPing) >= interval
        else { return nil }
        state = .listening(job: job, address: address, lastPing: time, lastStatusAt: lastStatusAt)
        return address
    }

    /// The server answered with `status` at `time`.
    mutating func heard(_ status: ServerStatus, at time: Date) {
        lastStatus = status
        missedPings = 0
        if case .listening(let job, let address, let lastPing, _) = state {
            state = .listening(job: job, address: address, lastPing: lastPing, lastStatusAt: time)
        }
    }

    /// A ping got no status in time.
    mutating func missedPing() {
        missedPings += 1
    }

    /// Whether a listening server that does not answer is dead: silent for at least `2 × interval` and
    /// ``missedPingsForDeath`` pings in a row unanswered (one slow answer on a loaded node is not a death; a dead
    /// process is seen sooner, by its job's end).
    func isSilentTooLong(at time: Date, every interval: Double) -> Bool {
        missedPings >= Self.missedPingsForDeath && silence(at: time) >= 2 * interval
    }

    /// Unanswered pings in a row after which a silent server is dead.
    static let missedPingsForDeath = 3

    /// Seconds since the listening server's last status (since it listened, before its first).
    func silence(at time: Date) -> Double {
        if case .listening(_, _, _, let lastStatusAt) = state { time.timeIntervalSince(lastStatusAt) } else { 0 }
    }

    /// Whether a (re)started server's first status has yet to be compared with the journal: until it has, no
    /// simulation is submitted (the server may have finished one the launcher does not know is done).
    var awaitsReconcile: Bool { reconcilePending }

    /// Whether the first status after a restart is still to be compared with the journal (asked once: true once).
    mutating func takeReconcile() -> Bool {
        defer { reconcilePending = false }
        return reconcilePending
    }

    /// Its job exited 0.
    mutating func finished() {
        if let job { state = .done(job: job) }
    }

    /// It died and is restarted.
    mutating func countRestart() {
        restarts += 1
    }

    /// The attempt of the server's next job.
    mutating func nextAttempt() -> Int {
        attempt += 1
        return attempt
    }
}
