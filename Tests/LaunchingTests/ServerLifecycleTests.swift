import Foundation
import Testing
import WireProtocol

@testable import Launching

/// The server's lifecycle as the launcher sees it: what each state allows.
@Suite("Server lifecycle")
struct ServerLifecycleTests {
    static let address = ServerAddress(
        pid: 1, host: "h", registration: "tcp://127.0.0.1:1", control: "tcp://127.0.0.1:2", data: [])

    @Test("a server has an address only while it listens, and is pinged once per heartbeat")
    func addressAndHeartbeat() {
        var server = ServerLifecycle()
        #expect(server.job == nil && server.address == nil && !server.isDone)
        let start = Date()
        server.submitted(JobID(job: 7), at: start, restart: false)
        #expect(server.job == JobID(job: 7) && server.address == nil && server.startingSince == start)
        let early = server.pingDue(at: start, every: 1)
        #expect(early == nil, "no ping before it listens")
        server.listened(at: Self.address, time: start)
        #expect(server.address == Self.address && server.startingSince == nil)
        let first = server.pingDue(at: start, every: 1)
        let tooSoon = server.pingDue(at: start.addingTimeInterval(0.5), every: 1)
        #expect(first == Self.address, "the first ping at once")
        #expect(tooSoon == nil)
        #expect(server.silence(at: start.addingTimeInterval(3)) == 3)
        server.heard(ServerStatus(samples: 5), at: start.addingTimeInterval(3))
        #expect(server.silence(at: start.addingTimeInterval(4)) == 1 && server.lastStatus?.samples == 5)
        server.finished()
        #expect(server.isDone && server.address == nil && server.job == JobID(job: 7))
    }

    @Test("a silent server is dead only after 2 heartbeats and 3 unanswered pings in a row; an answer resets them")
    func silenceNeedsThreeMissedPings() {
        var server = ServerLifecycle()
        let start = Date()
        server.submitted(JobID(job: 3), at: start, restart: false)
        server.listened(at: Self.address, time: start)
        // One ping that timed out on a loaded node, long after the last status: not yet a death.
        server.missedPing()
        #expect(!server.isSilentTooLong(at: start.addingTimeInterval(10), every: 1))
        server.missedPing()
        server.heard(ServerStatus(samples: 1), at: start.addingTimeInterval(10))
        #expect(server.missedPings == 0, "an answer resets the count")
        for _ in 0..<3 { server.missedPing() }
        #expect(!server.isSilentTooLong(at: start.addingTimeInterval(11), every: 1), "3 missed, but silent 1 s only")
        #expect(server.isSilentTooLong(at: start.addingTimeInterval(12), every: 1))
        server.submitted(JobID(job: 4), at: start.addingTimeInterval(12), restart: true)
        server.listened(at: Self.address, time: start.addingTimeInterval(13))
        #expect(server.missedPings == 0, "a restarted server starts with none missed")
    }

    @Test("a restart is a new attempt, to be reconciled once, and the last status is kept")
    func restart() {
        var server = ServerLifecycle()
        server.submitted(JobID(job: 1), at: Date(), restart: false)
        let reconcileFirst = server.takeReconcile()
        #expect(!reconcileFirst)
        server.listened(at: Self.address, time: Date())
        server.heard(ServerStatus(samples: 9), at: Date())
        server.countRestart()
        let attempt = server.nextAttempt()
        #expect(attempt == 1 && server.restarts == 1)
        server.submitted(JobID(job: 2), at: Date(), restart: true)
        #expect(server.address == nil, "the old address is stale")
        #expect(server.lastStatus?.samples == 9)
        let (once, twice) = (server.takeReconcile(), server.takeReconcile())
        #expect(once && !twice)
    }

    @Test("on a resume without a live server the next one is a new attempt")
    func resume() {
        var server = ServerLifecycle()
        server.resume(serverJobsSoFar: 2)
        #expect(server.attempt == 2 && server.restarts == 1)
        var adopted = ServerLifecycle()
        adopted.adopt(JobID(job: 4), attempt: 1, submittedAt: Date())
        adopted.resume(serverJobsSoFar: 2)
        #expect(adopted.attempt == 1 && adopted.restarts == 1 && adopted.job == JobID(job: 4))
    }
}
