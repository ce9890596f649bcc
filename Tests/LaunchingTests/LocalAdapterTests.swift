import Foundation
import Launching
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The local adapter with real processes.
@Suite struct LocalAdapterTests {
    static func request(_ script: String, name: String = "t-sim", arguments: [String] = [], attempt: Int = 0)
        -> SubmissionRequest
    {
        SubmissionRequest(role: .simulation(0), name: name, script: script, arguments: arguments, attempt: attempt)
    }

    static func finalStates(_ adapter: LocalAdapter, _ ids: [JobID], timeout: Double = 180) async throws -> [JobState] {
        var states: [JobState] = []
        let done = try await LaunchingTestSupport.wait(timeout: timeout) {
            let statuses = try await adapter.query(JobQuery(names: [], since: Date()))
            states = ids.map { id in statuses.first { $0.id == id }?.state ?? .vanished }
            return states.allSatisfy(\.isFinished)
        }
        #expect(done, "jobs not finished in \(timeout) s: \(states)")
        return states
    }

    @Test func mapsExitStatusesAndPassesTheAttempt() async throws {
        let directory = try LaunchingTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let adapter = LocalAdapter(options: LocalAdapterOptions(concurrency: 4, gracePeriod: 1))
        let ok = try LaunchingTestSupport.script(
            "echo \"$MELISSA_ATTEMPT $1 $(pwd)\" > \"\(directory.path)/attempt.txt\"", in: directory, name: "ok.sh")
        let fail = try LaunchingTestSupport.script("exit 1", in: directory, name: "fail.sh")
        let killed = try LaunchingTestSupport.script("kill -KILL $$", in: directory, name: "killed.sh")
        var okRequest = Self.request(ok, arguments: ["7"], attempt: 3)
        okRequest.workingDirectory = directory.path
        let ids = [
            try await adapter.submit(okRequest), try await adapter.submit(Self.request(fail)),
            try await adapter.submit(Self.request(killed)),
        ]
        let states = try await Self.finalStates(adapter, ids)
        #expect(states == [.completed, .failed(exitCode: 1, signal: nil), .failed(exitCode: 0, signal: 9)])
        let written = try String(contentsOfFile: directory.path + "/attempt.txt", encoding: .utf8)
        #expect(written == "3 7 \(directory.path)\n")
        let statuses = try await adapter.query(JobQuery(names: ["t-sim"], since: Date(), expected: [JobID(job: 99)]))
        #expect(statuses.first { $0.id == ids[1] }?.word == "exit 1")
        #expect(statuses.first { $0.id == ids[2] }?.exitStatus == ExitStatus(code: 0, signal: 9))
        #expect(statuses.first { $0.id == JobID(job: 99) }?.state == .vanished)
        await #expect(throws: LaunchingError.self) {
            _ = try await adapter.submit(Self.request(directory.path + "/missing.sh"))
        }
    }

    @Test func killsAChildThatIgnoresSigtermAfterTheGracePeriod() async throws {
        let directory = try LaunchingTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let adapter = LocalAdapter(options: LocalAdapterOptions(concurrency: 1, gracePeriod: 1))
        // The script and its children ignore SIGTERM; a grandchild in the background must go too.
        let stubborn = try LaunchingTestSupport.script(
            """
            trap '' TERM
            sleep 300 &
            echo $$ > "\(directory.path)/pgid"
            while :; do sleep 1; done
            """, in: directory, name: "stubborn.sh")
        let id = try await adapter.submit(Self.request(stubborn))
        let pidFile = directory.path + "/pgid"
        #expect(await LaunchingTestSupport.wait(timeout: 180) { FileManager.default.fileExists(atPath: pidFile) })
        let pgid = try #require(
            Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(getpgid(pgid) == pgid, "the job leads its own process group")
        #expect(getsid(pgid) == pgid, "and its own session")
        #expect(kill(-pgid, 0) == 0)
        let started = ContinuousClock.now
        try await adapter.cancel([id])
        // A bound for hangs only: the teardown's tasks share the 2 threads of the pool with every other test.
        let states = try await Self.finalStates(adapter, [id], timeout: 120)
        #expect(states == [.cancelled(by: nil)])
        #expect(ContinuousClock.now - started >= .seconds(0.9), "SIGTERM was ignored: SIGKILL came after the grace")
        #expect(await LaunchingTestSupport.wait(timeout: 15) { !ProcessGroup(id: pgid).isAlive }, "no orphan left")
        #expect(await LaunchingTestSupport.wait(timeout: 15) { kill(-pgid, 0) != 0 }, "the group is gone")
    }

    @Test func respectsTheConcurrencyLimitAndCancelsPendingJobs() async throws {
        let directory = try LaunchingTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let adapter = LocalAdapter(options: LocalAdapterOptions(concurrency: 2, gracePeriod: 1))
        // Each job records how many run at once, through a lock directory per running job.
        let job = try LaunchingTestSupport.script(
            """
            mkdir "\(directory.path)/running-$1"
            ls -d "\(directory.path)"/running-* | wc -l >> "\(directory.path)/counts"
            sleep 0.3
            rmdir "\(directory.path)/running-$1"
            """, in: directory, name: "job.sh")
        var ids: [JobID] = []
        for index in 0..<6 { ids.append(try await adapter.submit(Self.request(job, arguments: [String(index)]))) }
        let early = try await adapter.query(JobQuery(names: ["t-sim"], since: Date()))
        #expect(early.filter { $0.state == .running }.count <= 2)
        #expect(early.filter { $0.state == .pending }.count >= 4)
        let last = try await adapter.submit(Self.request(job, arguments: ["last"]))
        try await adapter.cancel([last])
        let states = try await Self.finalStates(adapter, ids + [last])
        #expect(states.dropLast().allSatisfy { $0 == .completed })
        #expect(states.last == .cancelled(by: nil))
        let counts = try String(contentsOfFile: directory.path + "/counts", encoding: .utf8)
            .split(separator: "\n").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        #expect(counts.count == 6)
        #expect(counts.allSatisfy { $0 <= 2 }, "\(counts)")
    }

    @Test func enforcesATimeLimitAndGrowsItsWindow() async throws {
        let directory = try LaunchingTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let adapter = LocalAdapter(options: LocalAdapterOptions(concurrency: 1, gracePeriod: 1))
        let slow = try LaunchingTestSupport.script("sleep 60", in: directory, name: "slow.sh")
        var request = Self.request(slow)
        // Long enough that the first is still running when the states are read on a loaded machine.
        request.timeLimitSeconds = 10
        let first = try await adapter.submit(request)
        let second = try await adapter.submit(request)
        #expect(try await adapter.query(JobQuery(names: [], since: Date())).map(\.state) == [.running, .pending])
        try await adapter.updateThrottle(of: first, to: 2)
        #expect(try await adapter.query(JobQuery(names: [], since: Date())).map(\.state) == [.running, .running])
        #expect(try await Self.finalStates(adapter, [first, second]) == [.timedOut, .timedOut])
        await adapter.shutdown()
    }
}
