import Foundation
import GRDB

/// The study's journal: `<study dir>/journal.sqlite`, a SQLite database in WAL mode, so that `melissa status` can
/// read it from another process while the launcher writes.
///
/// Every submission, state change, retry and decision goes in; ``liveJobs()``, ``completedSimulations()`` and
/// ``latestAttempts()`` give a resumed launcher what it needs to adopt running jobs and never resubmit a finished
/// simulation. Each method is one short transaction; a writer waits for another at most ``busyTimeout`` seconds.
public final class Journal: Sendable {
    /// The journal's file name in the study directory.
    public static let fileName = "journal.sqlite"
    /// Seconds a write waits for another process's write to finish.
    public static let busyTimeout: Double = 10

    /// The database file.
    public let path: String
    private let pool: DatabasePool

    /// Opens (creating and migrating when needed) `<studyDirectory>/journal.sqlite`.
    public convenience init(studyDirectory: String) throws {
        try self.init(path: studyDirectory + "/" + Self.fileName)
    }

    /// Opens (creating and migrating when needed) the journal at `path`.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(Self.busyTimeout)
        configuration.foreignKeysEnabled = true
        self.path = path
        pool = try Self.open(path: path, configuration: configuration)
    }

    /// Opens the pool and applies the migrations not applied yet. Another process may be creating the same new
    /// journal at the same moment (`melissa status` while the launcher creates it): switching a new file to WAL can
    /// find it locked, and the migrator checks which migrations are applied before it takes the write lock, so the
    /// second one can find a table it was about to create already there (`table study already exists`) or the
    /// migration recorded (`UNIQUE constraint failed: grdb_migrations`). It then tries again, and finds the file in
    /// WAL mode and those migrations applied; a journal that really cannot be opened fails 20 times.
    static func open(path: String, configuration: Configuration) throws -> DatabasePool {
        var attempt = 0
        while true {
            do {
                let pool = try DatabasePool(path: path, configuration: configuration)
                try JournalSchema.migrator.migrate(pool)
                return pool
            } catch is DatabaseError where attempt < 20 {
                attempt += 1
                usleep(20_000)
            }
        }
    }

    // MARK: The study row

    /// Records the launcher's start: inserts the study row on the first launch; on a resume, keeps it, counts the
    /// launch and records the new launcher. Returns the row as it now is (compare its ``JournalStudy/planHash``).
    @discardableResult
    public func begin(_ study: JournalStudy) throws -> JournalStudy {
        try pool.write { db in
            if try Self.study(db) == nil {
                try db.execute(
                    sql: """
                        INSERT INTO study (id, study_name, plan_hash, scheduler, simulation_count, started_at,
                            launcher_pid, launcher_host, heartbeat_at, launches)
                        VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, 1)
                        """,
                    arguments: [
                        study.name, study.planHash, study.scheduler, study.simulationCount,
                        study.startedAt.timeIntervalSince1970, study.launcherPID, study.launcherHost,
                        study.startedAt.timeIntervalSince1970,
                    ])
            } else {
                try db.execute(
                    sql: """
                        UPDATE study SET launcher_pid = ?, launcher_host = ?, heartbeat_at = ?, launches = launches + 1
                        WHERE id = 1
                        """,
                    arguments: [study.launcherPID, study.launcherHost, study.startedAt.timeIntervalSince1970])
            }
            guard let row = try Self.study(db) else { throw DatabaseError(message: "the study row is missing") }
            return row
        }
    }

    /// The study row, nil before the first launch.
    public func study() throws -> JournalStudy? {
        try pool.read { db in try Self.study(db) }
    }

    /// Records that the launcher is alive.
    public func heartbeat(at time: Date = Date()) throws {
        try pool.write { db in
            try db.execute(
                sql: "UPDATE study SET heartbeat_at = ? WHERE id = 1", arguments: [time.timeIntervalSince1970])
        }
    }

    // MARK: Writing

    /// Records a submission that the scheduler accepted as `id`: one `submissions` row and one pending `jobs` row
    /// per job it stands for (each array task). Returns those jobs.
    ///
    /// - Parameter worker: for a simulation handed to a worker (`id` is its run, `123:4`), the worker's number.
    @discardableResult
    public func recordSubmission(
        _ request: SubmissionRequest, as id: JobID, worker: Int? = nil, at time: Date = Date()
    ) throws -> [JournalJob] {
        try pool.write { db in
            let (role, simulation, first, count): (String, Int?, Int?, Int?) =
                switch request.role {
                case .server: ("server", nil, nil, nil)
                case .simulation(let id): ("simulation", id, request.array?.first, request.array?.count)
                case .simulations(let chunk): ("array", nil, chunk.first, chunk.count)
                case .worker: ("worker", nil, nil, nil)
                }
            let kind: JournalJob.Kind
            let workerNumber: Int?
            switch request.role {
            case .server: (kind, workerNumber) = (.server, nil)
            case .simulation, .simulations: (kind, workerNumber) = (.simulation, worker)
            case .worker(let number): (kind, workerNumber) = (.worker, number)
            }
            try db.execute(
                sql: """
                    INSERT INTO submissions (scheduler_id, role, simulation_id, array_first, array_count, attempt,
                        submitted_at, options)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    id.description, role, simulation, first, count, request.attempt, time.timeIntervalSince1970,
                    Self.options(of: request),
                ])
            let submission = db.lastInsertedRowID
            var jobs: [JournalJob] = []
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO jobs (submission_id, scheduler_id, role, simulation_id, attempt, state, state_code,
                        state_word, submitted_at, updated_at, worker)
                    VALUES (?, ?, ?, ?, ?, 'pending', 'pending', NULL, ?, ?, ?)
                    """)
            for (index, job) in request.jobs(submittedAs: id).enumerated() {
                let simulationID = request.role.simulationID(task: request.array == nil ? nil : index)
                try insert.execute(
                    arguments: [
                        submission, job.description, kind.rawValue, simulationID, request.attempt,
                        time.timeIntervalSince1970, time.timeIntervalSince1970, workerNumber,
                    ])
                jobs.append(
                    JournalJob(
                        rowID: db.lastInsertedRowID, schedulerID: job, simulationID: simulationID,
                        attempt: request.attempt, state: .pending, word: nil, nodeList: nil, submittedAt: time,
                        updatedAt: time, kind: kind, worker: workerNumber))
            }
            return jobs
        }
    }

    /// Records what a poll saw, in one transaction: each status whose state differs from the journal's updates its
    /// job and adds a `state_changes` row. Statuses of jobs the journal does not know are ignored. Returns the
    /// changes.
    @discardableResult
    public func record(_ statuses: [JobStatus], at time: Date = Date()) throws -> [JournalStateChange] {
        try pool.write { db in
            var changes: [JournalStateChange] = []
            // Compiled once per call, not once per status (a poll of 10,000 jobs records them in one go).
            let select = try db.cachedStatement(
                sql: "SELECT * FROM jobs WHERE scheduler_id = ? ORDER BY id DESC LIMIT 1")
            let update = try db.cachedStatement(
                sql: """
                    UPDATE jobs SET state = ?, state_code = ?, state_word = ?, exit_code = ?, signal = ?,
                        node_list = ?, updated_at = ?
                    WHERE id = ?
                    """)
            let insert = try db.cachedStatement(
                sql: "INSERT INTO state_changes (job_id, at, old_state, new_state, state_word) VALUES (?, ?, ?, ?, ?)")
            for status in statuses {
                guard
                    let row = try Row.fetchOne(select, arguments: [status.id.description]),
                    var job = Self.job(row)
                else { continue }
                guard job.state != status.state || (job.nodeList == nil && status.nodeList != nil) else { continue }
                let old = job.state
                job.state = status.state
                job.word = status.word
                job.nodeList = status.nodeList ?? job.nodeList
                job.updatedAt = time
                try update.execute(arguments: [
                    status.state.name, status.state.code, status.word, status.exitStatus?.code,
                    status.exitStatus?.signal, job.nodeList, time.timeIntervalSince1970, job.rowID,
                ])
                guard old != status.state else { continue }
                try insert.execute(arguments: [
                    job.rowID, time.timeIntervalSince1970, old.code, status.state.code, status.word,
                ])
                changes.append(JournalStateChange(job: job, from: old))
            }
            return changes
        }
    }

    /// Records a resubmission of `simulationID` (nil: the server) as `attempt`, because of `cause`;
    /// `spendsBudget` is false for failures that are not the job's (node failures, walltime).
    public func recordRetry(
        simulationID: Int?, attempt: Int, cause: JobState, spendsBudget: Bool, redrawn: Bool = false,
        failedJob: Int64? = nil, at time: Date = Date()
    ) throws {
        try pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO retries (simulation_id, failed_job_id, attempt, cause, spends_budget, redrawn, at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    simulationID, failedJob, attempt, cause.code, spendsBudget, redrawn, time.timeIntervalSince1970,
                ])
        }
    }

    /// Records a decision of the launcher in words (`kind`: a short tag such as `throttle`, `exclude-node`).
    public func recordDecision(
        kind: String, message: String, simulationID: Int? = nil, at time: Date = Date()
    ) throws {
        try pool.write { db in
            try db.execute(
                sql: "INSERT INTO decisions (at, kind, message, simulation_id) VALUES (?, ?, ?, ?)",
                arguments: [time.timeIntervalSince1970, kind, message, simulationID])
        }
    }

    /// Records the process group a local job runs as (a resumed launcher checks and signals it by this id).
    public func recordProcessGroup(_ group: Int32, of job: JobID) throws {
        try pool.write { db in
            try db.execute(
                sql: "UPDATE jobs SET process_group = ? WHERE id = (SELECT MAX(id) FROM jobs WHERE scheduler_id = ?)",
                arguments: [group, job.description])
        }
    }

    // MARK: Reading

    /// The decision kind that gives a simulation up.
    public static let giveUpKind = "give-up"
    /// The decision kind that records the end of a study whose server finished.
    public static let doneKind = "done"

    /// The message of the decision that ended the study (the server exited 0, or every offline simulation ended),
    /// nil while it is not over.
    public func ending() throws -> String? {
        try decisions(kind: Self.doneKind).last
    }

    /// The simulations the launcher gave up (a `give-up` decision): never to be submitted again.
    public func givenUpSimulations() throws -> Set<Int> {
        try pool.read { db in
            Set(
                try Int.fetchAll(
                    db,
                    sql: "SELECT DISTINCT simulation_id FROM decisions WHERE kind = ? AND simulation_id NOT NULL",
                    arguments: [Self.giveUpKind]))
        }
    }

    /// Jobs not known to be over (pending, running, suspended, requeued, vanished, unknown): the ones a resumed
    /// launcher adopts and keeps polling. A job a later job of the same simulation (or, for the server, a later
    /// server job) superseded is not among them: the launcher gave it over and resubmitted its work. Workers run side
    /// by side: none supersedes another.
    public func liveJobs() throws -> [JournalJob] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM jobs AS j
                    WHERE state IN ('pending', 'running', 'suspended', 'requeued', 'vanished', 'unknown')
                        AND (j.role = 'worker' OR NOT EXISTS (
                            SELECT 1 FROM jobs AS later
                            WHERE later.id > j.id AND later.role = j.role AND later.simulation_id IS j.simulation_id))
                    ORDER BY id
                    """
            ).compactMap(Self.job)
        }
    }

    /// Every job of `simulationID` (nil: the server's), oldest first.
    public func jobs(simulationID: Int?) throws -> [JournalJob] {
        try pool.read { db in
            let sql =
                simulationID == nil
                ? "SELECT * FROM jobs WHERE role = 'server' ORDER BY id"
                : "SELECT * FROM jobs WHERE simulation_id = ? ORDER BY id"
            return try Row.fetchAll(db, sql: sql, arguments: simulationID.map { [$0] } ?? []).compactMap(Self.job)
        }
    }

    /// The messages of every decision of `kind`, oldest first.
    public func decisions(kind: String) throws -> [String] {
        try pool.read { db in
            try String.fetchAll(db, sql: "SELECT message FROM decisions WHERE kind = ? ORDER BY id", arguments: [kind])
        }
    }

    /// Every job of the study, oldest first (the server's and the simulations').
    public func allJobs() throws -> [JournalJob] {
        try pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM jobs ORDER BY id").compactMap(Self.job) }
    }

    /// The simulations that completed at least once: never to be submitted again.
    public func completedSimulations() throws -> Set<Int> {
        try pool.read { db in
            Set(
                try Int.fetchAll(
                    db,
                    sql: "SELECT DISTINCT simulation_id FROM jobs WHERE state = 'completed' AND simulation_id NOT NULL")
            )
        }
    }

    /// The highest attempt submitted for each simulation.
    public func latestAttempts() throws -> [Int: Int] {
        try pool.read { db in
            var attempts: [Int: Int] = [:]
            for row in try Row.fetchAll(
                db,
                sql: "SELECT simulation_id, MAX(attempt) AS attempt FROM jobs WHERE simulation_id NOT NULL GROUP BY 1")
            {
                attempts[row["simulation_id"]] = row["attempt"]
            }
            return attempts
        }
    }

    /// The retries each simulation has spent from its budget (those recorded with `spendsBudget`).
    public func retriesSpent() throws -> [Int: Int] {
        try pool.read { db in
            var spent: [Int: Int] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT simulation_id, COUNT(*) AS spent FROM retries
                    WHERE spends_budget AND simulation_id NOT NULL GROUP BY 1
                    """)
            {
                spent[row["simulation_id"]] = row["spent"]
            }
            return spent
        }
    }

    /// How often the server was restarted after a death (its retries), over every launch of the study.
    public func serverRestarts() throws -> Int {
        try pool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM retries WHERE simulation_id IS NULL") ?? 0
        }
    }

    /// Every worker (`execution.workers`) by number: its latest job, the simulation it runs, how many it ran.
    public func workers() throws -> [JournalWorker] {
        try pool.read { db in try Self.workers(db) }
    }

    /// The highest worker number recorded (a resumed launcher numbers its new workers after it); 0 when none.
    public func highestWorkerNumber() throws -> Int {
        try pool.read { db in
            try Int.fetchOne(db, sql: "SELECT MAX(worker) FROM jobs WHERE role = 'worker'") ?? 0
        }
    }

    /// The highest numeric job id recorded (local job numbers continue after it on a resume); 0 when none.
    public func highestJobNumber() throws -> Int {
        try pool.read { db in
            try Int.fetchOne(db, sql: "SELECT MAX(CAST(scheduler_id AS INTEGER)) FROM jobs") ?? 0
        }
    }

    /// Where the study stands: simulations done, running, pending, failed, never submitted; the server; the
    /// launcher's heartbeat; the latest `lastEvents` events.
    public func summary(lastEvents: Int = 10) throws -> JournalSummary {
        try pool.read { db in
            var summary = JournalSummary()
            if let study = try Self.study(db) {
                summary.studyName = study.name
                summary.simulations = study.simulationCount
                summary.heartbeat = study.heartbeatAt
                summary.launcherPID = study.launcherPID
                summary.launcherHost = study.launcherHost
            }
            // Counted by SQLite, not row by row here: a study of 100,000 simulations returns a handful of rows.
            let done =
                try Int.fetchOne(
                    db,
                    sql:
                        "SELECT COUNT(DISTINCT simulation_id) FROM jobs WHERE state = 'completed' AND simulation_id NOT NULL"
                ) ?? 0
            let submitted =
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(DISTINCT simulation_id) FROM jobs WHERE simulation_id NOT NULL") ?? 0
            // The latest job of each simulation not done says where it stands: how many of each state.
            let latest = try Row.fetchAll(
                db,
                sql: """
                    SELECT j.state_code AS code, COUNT(*) AS count FROM jobs j
                    JOIN (SELECT simulation_id, MAX(id) AS id FROM jobs WHERE simulation_id NOT NULL GROUP BY 1) l
                    ON j.id = l.id
                    WHERE j.simulation_id NOT IN (
                        SELECT simulation_id FROM jobs WHERE state = 'completed' AND simulation_id NOT NULL)
                    GROUP BY 1
                    """)
            for row in latest {
                let code: String = row["code"]
                let count: Int = row["count"]
                switch JobState(code: code)?.standing ?? "pending" {
                case "running": summary.running += count
                case "pending": summary.pending += count
                default: summary.failed += count
                }
            }
            summary.done = done
            summary.notSubmitted = max(0, summary.simulations - submitted)
            summary.server = try String.fetchOne(
                db, sql: "SELECT state_code FROM jobs WHERE role = 'server' ORDER BY id DESC LIMIT 1"
            ).flatMap { JobState(code: $0) }
            summary.workers = try Self.workers(db)
            summary.lastEvents = try Self.events(db, limit: lastEvents)
            return summary
        }
    }

    /// The latest `limit` events, newest first.
    public func events(limit: Int = 50) throws -> [JournalEvent] {
        try pool.read { db in try Self.events(db, limit: limit) }
    }

    // MARK: Rows

    private static func study(_ db: Database) throws -> JournalStudy? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM study WHERE id = 1") else { return nil }
        return JournalStudy(
            name: row["study_name"], planHash: row["plan_hash"], scheduler: row["scheduler"],
            simulationCount: row["simulation_count"], startedAt: Date(timeIntervalSince1970: row["started_at"]),
            launcherPID: row["launcher_pid"], launcherHost: row["launcher_host"],
            heartbeatAt: (row["heartbeat_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
            launches: row["launches"])
    }

    private static func completedSimulations(_ db: Database) throws -> Set<Int> {
        Set(
            try Int.fetchAll(
                db, sql: "SELECT DISTINCT simulation_id FROM jobs WHERE state = 'completed' AND simulation_id NOT NULL")
        )
    }

    private static func job(_ row: Row) -> JournalJob? {
        guard let id = JobID(row["scheduler_id"] as String), let state = JobState(code: row["state_code"]) else {
            return nil
        }
        return JournalJob(
            rowID: row["id"], schedulerID: id, simulationID: row["simulation_id"], attempt: row["attempt"],
            state: state, word: row["state_word"], nodeList: row["node_list"],
            submittedAt: Date(timeIntervalSince1970: row["submitted_at"]),
            updatedAt: Date(timeIntervalSince1970: row["updated_at"]), processGroup: row["process_group"],
            kind: JournalJob.Kind(rawValue: row["role"]) ?? .simulation, worker: row["worker"])
    }

    private static func workers(_ db: Database) throws -> [JournalWorker] {
        let jobs = try Row.fetchAll(db, sql: "SELECT * FROM jobs WHERE worker NOT NULL ORDER BY id").compactMap(job)
        var latest: [Int: JournalJob] = [:]
        var runs: [Int: [JournalJob]] = [:]
        for job in jobs {
            guard let number = job.worker else { continue }
            if job.isWorker { latest[number] = job } else { runs[number, default: []].append(job) }
        }
        return latest.keys.sorted().compactMap { number in
            guard let job = latest[number] else { return nil }
            let ran = runs[number] ?? []
            let current = ran.last.flatMap { $0.state.isLive ? $0 : nil }
            return JournalWorker(
                number: number, job: job, current: current, runs: ran.count { $0.state.isFinished })
        }
    }

    private static func events(_ db: Database, limit: Int) throws -> [JournalEvent] {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT * FROM (
                    SELECT c.at AS at, 'state' AS kind, j.simulation_id AS simulation_id,
                        j.scheduler_id || ': ' || COALESCE(c.old_state, '?') || ' -> ' || c.new_state
                            || COALESCE(' (' || c.state_word || ')', '') AS message, c.id AS seq
                    FROM state_changes c JOIN jobs j ON j.id = c.job_id
                    UNION ALL
                    SELECT at, 'retry', simulation_id,
                        'attempt ' || attempt || ' after ' || cause || CASE WHEN spends_budget THEN '' ELSE
                            ' (not counted)' END || CASE WHEN redrawn THEN ', parameters redrawn' ELSE '' END, id
                    FROM retries
                    UNION ALL
                    SELECT at, 'decision', simulation_id, kind || ': ' || message, id FROM decisions
                ) ORDER BY at DESC, seq DESC LIMIT ?
                """,
            arguments: [limit])
        return rows.map { row in
            JournalEvent(
                at: Date(timeIntervalSince1970: row["at"]),
                kind: JournalEvent.Kind(rawValue: row["kind"]) ?? .decision, simulationID: row["simulation_id"],
                message: row["message"])
        }
    }

    /// The options of a submission that a retry changes, in words, for the `submissions.options` column.
    private static func options(of request: SubmissionRequest) -> String {
        var words: [String] = []
        if let throttle = request.throttle { words.append("throttle=\(throttle)") }
        if !request.excludedNodes.isEmpty { words.append("exclude=" + request.excludedNodes.joined(separator: ",")) }
        if let memory = request.memoryMiB { words.append("mem=\(memory)M") }
        if let seconds = request.timeLimitSeconds { words.append("time=\(seconds)s") }
        if let dependency = request.dependency { words.append("dependency=\(dependency)") }
        if request.environment["MELISSA_RESTART"] == "1" { words.append("restart") }
        return words.joined(separator: " ")
    }
}
