import Foundation
import Launching
import Testing

/// The journal's view of workers (`execution.workers`, schema v3): worker jobs, the runs they hold, and the
/// migration of a journal written before them.
@Suite struct JournalWorkerTests {
    static func study() -> JournalStudy {
        JournalStudy(
            name: "heat", planHash: "abc", scheduler: "local", simulationCount: 3,
            startedAt: Date(timeIntervalSince1970: 1_000), launcherPID: 1, launcherHost: "login1")
    }

    static func run(_ simulation: Int, attempt: Int = 0) -> SubmissionRequest {
        SubmissionRequest(
            role: .simulation(simulation), name: "heat-sim", script: "/s/simulation.sh",
            arguments: [String(simulation)],
            attempt: attempt)
    }

    @Test("worker jobs and their runs: the server stays the server, workers are never superseded, runs are")
    func workersAndRuns() throws {
        let directory = try LaunchingTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let journal = try Journal(studyDirectory: directory.path)
        try journal.begin(Self.study())
        try journal.recordSubmission(
            SubmissionRequest(role: .server, name: "heat-server", script: "/s/server.sh"), as: JobID(job: 1))
        for number in 1...2 {
            let worker = SubmissionRequest(
                role: .worker(number), name: "heat-worker", script: "/s/worker.sh", arguments: [String(number)])
            let jobs = try journal.recordSubmission(worker, as: JobID(job: 1 + number))
            #expect(jobs.map(\.kind) == [.worker] && jobs.map(\.worker) == [number])
        }
        #expect(try journal.highestWorkerNumber() == 2)
        // Worker 1 (job 2) ran simulation 0, which failed, then runs its retry; worker 2 (job 3) runs simulation 1.
        try journal.recordSubmission(Self.run(0), as: JobID(job: 2, run: 1), worker: 1)
        try journal.recordSubmission(Self.run(1), as: JobID(job: 3, run: 1), worker: 2)
        try journal.record([
            JobStatus(id: JobID(job: 2), state: .running, word: "running"),
            JobStatus(id: JobID(job: 3), state: .running, word: "running"),
            JobStatus(id: JobID(job: 1), state: .running, word: "running"),
            JobStatus(id: JobID(job: 2, run: 1), state: .failed(exitCode: 1, signal: nil), word: "exit 1 in worker 1"),
            JobStatus(id: JobID(job: 3, run: 1), state: .running, word: "running"),
        ])
        try journal.recordSubmission(Self.run(0, attempt: 1), as: JobID(job: 2, run: 2), worker: 1)
        try journal.record([JobStatus(id: JobID(job: 2, run: 2), state: .running, word: "running")])

        let live = try journal.liveJobs().map(\.schedulerID.description)
        #expect(live == ["1", "2", "3", "3:1", "2:2"], "both workers stay live; the failed run is superseded")
        #expect(try journal.jobs(simulationID: nil).map(\.schedulerID) == [JobID(job: 1)], "workers are no server")
        #expect(try journal.summary().server == .running)
        #expect(try journal.jobs(simulationID: 0).map(\.schedulerID.description) == ["2:1", "2:2"])
        #expect(try journal.jobs(simulationID: 0).allSatisfy { $0.isRun && $0.worker == 1 })
        #expect(try journal.highestJobNumber() == 3)

        let workers = try journal.workers()
        #expect(workers.map(\.number) == [1, 2])
        #expect(workers.map(\.runs) == [1, 0])
        #expect(workers.map { $0.current?.simulationID } == [0, 1])
        #expect(workers[0].activity == "running simulation 0 (attempt 1)")
        let summary = try journal.summary()
        #expect(summary.workers == workers)
        #expect(summary.running == 2 && summary.done == 0)

        try journal.record([
            JobStatus(id: JobID(job: 2, run: 2), state: .completed, word: "completed"),
            JobStatus(id: JobID(job: 2), state: .completed, word: "completed"),
        ])
        let after = try journal.workers()
        #expect(after[0].current == nil && after[0].runs == 2 && after[0].activity == "completed")
        #expect(try journal.completedSimulations() == [0])
    }

    @Test("a journal written before workers (schema v2) is migrated with every row kept")
    func migratesAVersion2Journal() async throws {
        let directory = try LaunchingTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.path + "/journal.sqlite"
        // The v1 and v2 tables as they shipped, with a server, a simulation, a state change and a retry.
        let script = """
            import sqlite3, sys
            c = sqlite3.connect(sys.argv[1])
            c.executescript('''
            CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
            INSERT INTO grdb_migrations VALUES ('v1'), ('v2');
            CREATE TABLE study (id INTEGER PRIMARY KEY CHECK (id = 1), study_name TEXT NOT NULL,
                plan_hash TEXT NOT NULL, scheduler TEXT NOT NULL, simulation_count INTEGER NOT NULL,
                started_at REAL NOT NULL, launcher_pid INTEGER, launcher_host TEXT, heartbeat_at REAL,
                launches INTEGER NOT NULL DEFAULT 1);
            CREATE TABLE submissions (id INTEGER PRIMARY KEY AUTOINCREMENT, scheduler_id TEXT NOT NULL,
                role TEXT NOT NULL CHECK (role IN ('server', 'simulation', 'array')), simulation_id INTEGER,
                array_first INTEGER, array_count INTEGER, attempt INTEGER NOT NULL, submitted_at REAL NOT NULL,
                options TEXT NOT NULL DEFAULT '');
            CREATE TABLE jobs (id INTEGER PRIMARY KEY AUTOINCREMENT,
                submission_id INTEGER NOT NULL REFERENCES submissions(id), scheduler_id TEXT NOT NULL,
                role TEXT NOT NULL CHECK (role IN ('server', 'simulation')), simulation_id INTEGER,
                attempt INTEGER NOT NULL, state TEXT NOT NULL, state_code TEXT NOT NULL, state_word TEXT,
                exit_code INTEGER, signal INTEGER, node_list TEXT, submitted_at REAL NOT NULL,
                updated_at REAL NOT NULL, process_group INTEGER);
            CREATE INDEX jobs_by_scheduler_id ON jobs(scheduler_id);
            CREATE INDEX jobs_by_simulation ON jobs(simulation_id, attempt);
            CREATE INDEX jobs_by_state ON jobs(state);
            CREATE TABLE state_changes (id INTEGER PRIMARY KEY AUTOINCREMENT, job_id INTEGER NOT NULL REFERENCES jobs(id),
                at REAL NOT NULL, old_state TEXT, new_state TEXT NOT NULL, state_word TEXT);
            CREATE INDEX state_changes_by_time ON state_changes(at);
            CREATE TABLE retries (id INTEGER PRIMARY KEY AUTOINCREMENT, simulation_id INTEGER,
                failed_job_id INTEGER REFERENCES jobs(id), attempt INTEGER NOT NULL, cause TEXT NOT NULL,
                spends_budget INTEGER NOT NULL, redrawn INTEGER NOT NULL DEFAULT 0, at REAL NOT NULL);
            CREATE TABLE decisions (id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, kind TEXT NOT NULL,
                message TEXT NOT NULL, simulation_id INTEGER);
            CREATE INDEX decisions_by_time ON decisions(at);
            INSERT INTO study VALUES (1, 'heat', 'abc', 'local', 3, 1000, 1, 'login1', 1000, 1);
            INSERT INTO submissions VALUES (1, '10', 'server', NULL, NULL, NULL, 0, 1001, '');
            INSERT INTO submissions VALUES (2, '11', 'simulation', 0, NULL, NULL, 0, 1002, '');
            INSERT INTO jobs VALUES (1, 1, '10', 'server', NULL, 0, 'running', 'running', 'R', NULL, NULL, 'n1',
                1001, 1003, 77);
            INSERT INTO jobs VALUES (2, 2, '11', 'simulation', 0, 0, 'failed', 'failed:1', 'F', 1, 0, 'n1',
                1002, 1004, 78);
            INSERT INTO state_changes VALUES (1, 2, 1004, 'running', 'failed:1', 'F');
            INSERT INTO retries VALUES (1, 0, 2, 1, 'failed:1', 1, 0, 1004);
            ''')
            c.commit()
            """
        let python = try await CommandRunner(timeout: 60).run(["python3", "-c", script, path])
        #expect(python.status.isSuccess, "\(python.error)")
        let journal = try Journal(path: path)
        let jobs = try journal.allJobs()
        #expect(jobs.map(\.schedulerID.description) == ["10", "11"])
        #expect(jobs.map(\.kind) == [.server, .simulation])
        #expect(jobs.map(\.processGroup) == [77, 78])
        #expect(jobs.allSatisfy { $0.worker == nil })
        #expect(try journal.retriesSpent() == [0: 1])
        #expect(try journal.events(limit: 10).count == 2)
        #expect(try journal.liveJobs().map(\.schedulerID) == [JobID(job: 10)])
        // Workers can be recorded now.
        let worker = SubmissionRequest(role: .worker(1), name: "heat-worker", script: "/s/worker.sh")
        try journal.recordSubmission(worker, as: JobID(job: 12))
        try journal.recordSubmission(Self.run(0, attempt: 1), as: JobID(job: 12, run: 1), worker: 1)
        #expect(try journal.workers().map(\.current?.schedulerID) == [JobID(job: 12, run: 1)])
        #expect(try journal.latestAttempts()[0] == 1)
    }
}
