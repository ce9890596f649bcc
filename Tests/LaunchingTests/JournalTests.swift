import Foundation
import Launching
import PlanModel
import Planning
import Testing

/// The journal on a temporary directory.
@Suite struct JournalTests {
    static func study(count: Int = 4) -> JournalStudy {
        JournalStudy(
            name: "heat", planHash: "abc123", scheduler: "slurm", simulationCount: count,
            startedAt: Date(timeIntervalSince1970: 1_000), launcherPID: 4242, launcherHost: "login1")
    }

    @Test func recordsSubmissionsStatesAndWhatAResumeNeeds() throws {
        let directory = try LaunchingTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let journal = try Journal(studyDirectory: directory.path)
        #expect(journal.path == directory.path + "/journal.sqlite")
        #expect(try journal.study() == nil)
        try journal.begin(Self.study())
        let server = SubmissionRequest(role: .server, name: "heat-server", script: "/s/server.sbatch")
        try journal.recordSubmission(server, as: JobID(job: 10), at: Date(timeIntervalSince1970: 1_001))
        let chunk = ArrayChunk(first: 0, count: 3)
        let array = SubmissionRequest(
            role: .simulations(chunk), name: "heat-sim", script: "/s/sims.sbatch", array: chunk, throttle: 2)
        let jobs = try journal.recordSubmission(array, as: JobID(job: 11), at: Date(timeIntervalSince1970: 1_002))
        #expect(jobs.map(\.schedulerID.description) == ["11_0", "11_1", "11_2"])
        #expect(jobs.map(\.simulationID) == [0, 1, 2])

        let poll: [JobStatus] = [
            JobStatus(id: JobID(job: 10), state: .running, word: "RUNNING", nodeList: "gpu01"),
            JobStatus(id: JobID(job: 11, arrayTask: 0), state: .completed, word: "COMPLETED"),
            JobStatus(
                id: JobID(job: 11, arrayTask: 1), state: .failed(exitCode: 1, signal: nil), word: "FAILED",
                exitStatus: ExitStatus(code: 1)),
            JobStatus(id: JobID(job: 11, arrayTask: 2), state: .pending, word: "PENDING"),
            JobStatus(id: JobID(job: 99), state: .running, word: "RUNNING"),  // not ours: ignored
        ]
        let changes = try journal.record(poll, at: Date(timeIntervalSince1970: 1_010))
        #expect(changes.map(\.job.schedulerID.description) == ["10", "11_0", "11_1"])
        #expect(changes.map(\.from) == [.pending, .pending, .pending])
        #expect(try journal.record(poll, at: Date(timeIntervalSince1970: 1_011)).isEmpty, "nothing changed")

        // Simulation 1 is retried as attempt 1; simulation 2 waits.
        try journal.recordRetry(
            simulationID: 1, attempt: 1, cause: .failed(exitCode: 1, signal: nil), spendsBudget: true,
            at: Date(timeIntervalSince1970: 1_012))
        let retry = SubmissionRequest.simulationRetry(1, attempt: 1)
        try journal.recordSubmission(retry, as: JobID(job: 12), at: Date(timeIntervalSince1970: 1_013))
        try journal.recordDecision(
            kind: "throttle", message: "window 2 -> 3", at: Date(timeIntervalSince1970: 1_014))

        #expect(try journal.completedSimulations() == [0])
        #expect(try journal.latestAttempts() == [0: 0, 1: 1, 2: 0])
        #expect(try journal.retriesSpent() == [1: 1])
        #expect(try journal.liveJobs().map(\.schedulerID.description) == ["10", "11_2", "12"])
        #expect(try journal.jobs(simulationID: 1).map(\.attempt) == [0, 1])
        #expect(try journal.jobs(simulationID: nil).first?.nodeList == "gpu01")
        #expect(try journal.highestJobNumber() == 12)

        let summary = try journal.summary(lastEvents: 3)
        #expect(summary.studyName == "heat")
        #expect(summary.simulations == 4)
        #expect(summary.done == 1)
        #expect(summary.pending == 2)  // simulation 2, and simulation 1's new attempt
        #expect(summary.running == 0)
        #expect(summary.failed == 0)
        #expect(summary.notSubmitted == 1)
        #expect(summary.server == .running)
        #expect(summary.launcherPID == 4242)
        #expect(summary.lastEvents.map(\.kind) == [.decision, .retry, .stateChange])
        #expect(summary.lastEvents[0].message == "throttle: window 2 -> 3")
        #expect(summary.lastEvents[1].message == "attempt 1 after failed:1")
        #expect(summary.lastEvents[2].message == "11_1: pending -> failed:1 (FAILED)")

        // A resume keeps the study row and counts the launch.
        var resumed = Self.study()
        resumed.launcherPID = 777
        resumed.startedAt = Date(timeIntervalSince1970: 2_000)
        let row = try journal.begin(resumed)
        #expect(row.launches == 2)
        #expect(row.launcherPID == 777)
        #expect(row.startedAt == Date(timeIntervalSince1970: 1_000))
        try journal.heartbeat(at: Date(timeIntervalSince1970: 2_005))
        #expect(try journal.study()?.heartbeatAt == Date(timeIntervalSince1970: 2_005))

        // Reopening the file finds everything (the migrations are not applied twice).
        let reopened = try Journal(path: journal.path)
        #expect(try reopened.completedSimulations() == [0])
    }

    /// Two processes opening a journal that does not exist yet at the same moment (the launcher creating it, `melissa
    /// status` or a test reading it): both end with the whole schema, neither fails with `table study already
    /// exists`. Separate pools on separate threads race exactly like separate processes; 30 rounds.
    @Test func twoConnectionsCreatingTheSameNewJournalBothSucceed() async throws {
        let directory = try LaunchingTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for round in 0..<30 {
            let path = directory.appendingPathComponent("journal-\(round).sqlite").path
            let results = await withTaskGroup(of: String?.self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        do {
                            let journal = try Journal(path: path)
                            _ = try journal.study()
                            return nil
                        } catch {
                            return "\(error)"
                        }
                    }
                }
                var errors: [String] = []
                for await result in group { if let result { errors.append(result) } }
                return errors
            }
            #expect(results.isEmpty, "round \(round): \(results)")
        }
    }

    @Test func aSecondConnectionReadsWhileTheFirstWrites() async throws {
        let directory = try LaunchingTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let writer = try Journal(studyDirectory: directory.path)
        try writer.begin(Self.study(count: 200))
        let reader = try Journal(studyDirectory: directory.path)
        let writing = Task.detached {
            for index in 0..<200 {
                let request = SubmissionRequest.simulationRetry(index, attempt: 0)
                try writer.recordSubmission(request, as: JobID(job: 1_000 + index))
                try writer.record([JobStatus(id: JobID(job: 1_000 + index), state: .completed, word: "COMPLETED")])
            }
        }
        var seen: [Int] = []
        while seen.last != 200 {
            let summary = try reader.summary()
            seen.append(summary.done)
            if seen.count > 100_000 { break }
            try await Task.sleep(for: .milliseconds(1))
            if seen.count % 50 == 0, (try? await writing.value) != nil { seen.append(try reader.summary().done) }
        }
        try await writing.value
        #expect(seen.last == 200)
        #expect(seen == seen.sorted(), "a reader sees the writes in order")

        // And a separate process (python's sqlite3) reads the WAL journal while this one holds it open.
        let python = try await CommandRunner(timeout: 60).run([
            "python3", "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); "
                + "print(c.execute(\"select count(*) from jobs where state='completed'\").fetchone()[0], "
                + "c.execute('pragma journal_mode').fetchone()[0])",
            writer.path,
        ])
        #expect(python.status.isSuccess, "\(python.error)")
        #expect(python.output == "200 wal\n")
    }
}

extension SubmissionRequest {
    /// A one-simulation request as the tests record it.
    static func simulationRetry(_ id: Int, attempt: Int) -> SubmissionRequest {
        SubmissionRequest(role: .simulation(id), name: "heat-sim", script: "/s/sim.sbatch", attempt: attempt)
    }
}
