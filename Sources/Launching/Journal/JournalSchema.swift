import GRDB

/// The journal's tables, as versioned migrations (`docs/launching.md` describes them). Times are seconds since
/// 1970 (REAL); states are ``JobState/name`` (`state`) and ``JobState/code`` (`state_code`).
enum JournalSchema {
    /// Every migration, in order. Never edit one that shipped: add the next.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1", migrate: v1)
        migrator.registerMigration("v2", migrate: v2)
        migrator.registerMigration("v3", migrate: v3)
        return migrator
    }

    /// The study, its submissions and jobs, their state changes, retries and the launcher's decisions.
    private static func v1(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE study (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    study_name TEXT NOT NULL,
                    plan_hash TEXT NOT NULL,
                    scheduler TEXT NOT NULL,
                    simulation_count INTEGER NOT NULL,
                    started_at REAL NOT NULL,
                    launcher_pid INTEGER,
                    launcher_host TEXT,
                    heartbeat_at REAL,
                    launches INTEGER NOT NULL DEFAULT 1
                );
                CREATE TABLE submissions (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    scheduler_id TEXT NOT NULL,
                    role TEXT NOT NULL CHECK (role IN ('server', 'simulation', 'array')),
                    simulation_id INTEGER,
                    array_first INTEGER,
                    array_count INTEGER,
                    attempt INTEGER NOT NULL,
                    submitted_at REAL NOT NULL,
                    options TEXT NOT NULL DEFAULT ''
                );
                CREATE TABLE jobs (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    submission_id INTEGER NOT NULL REFERENCES submissions(id),
                    scheduler_id TEXT NOT NULL,
                    role TEXT NOT NULL CHECK (role IN ('server', 'simulation')),
                    simulation_id INTEGER,
                    attempt INTEGER NOT NULL,
                    state TEXT NOT NULL,
                    state_code TEXT NOT NULL,
                    state_word TEXT,
                    exit_code INTEGER,
                    signal INTEGER,
                    node_list TEXT,
                    submitted_at REAL NOT NULL,
                    updated_at REAL NOT NULL
                );
                CREATE INDEX jobs_by_scheduler_id ON jobs(scheduler_id);
                CREATE INDEX jobs_by_simulation ON jobs(simulation_id, attempt);
                CREATE INDEX jobs_by_state ON jobs(state);
                CREATE TABLE state_changes (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    job_id INTEGER NOT NULL REFERENCES jobs(id),
                    at REAL NOT NULL,
                    old_state TEXT,
                    new_state TEXT NOT NULL,
                    state_word TEXT
                );
                CREATE INDEX state_changes_by_time ON state_changes(at);
                CREATE TABLE retries (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    simulation_id INTEGER,
                    failed_job_id INTEGER REFERENCES jobs(id),
                    attempt INTEGER NOT NULL,
                    cause TEXT NOT NULL,
                    spends_budget INTEGER NOT NULL,
                    redrawn INTEGER NOT NULL DEFAULT 0,
                    at REAL NOT NULL
                );
                CREATE TABLE decisions (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    at REAL NOT NULL,
                    kind TEXT NOT NULL,
                    message TEXT NOT NULL,
                    simulation_id INTEGER
                );
                CREATE INDEX decisions_by_time ON decisions(at);
                """)
    }

    /// The process group of a local job, so that a resumed launcher can check and signal it.
    private static func v2(_ db: Database) throws {
        try db.execute(sql: "ALTER TABLE jobs ADD COLUMN process_group INTEGER")
    }

    /// Workers (`execution.workers`): the role `worker` for submissions and jobs, and the worker's number of a worker
    /// job and of each simulation it ran (`jobs.worker`). SQLite cannot change a CHECK constraint: both tables are
    /// rebuilt (GRDB runs migrations with foreign keys off and checks them after).
    private static func v3(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE submissions_v3 (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    scheduler_id TEXT NOT NULL,
                    role TEXT NOT NULL CHECK (role IN ('server', 'simulation', 'array', 'worker')),
                    simulation_id INTEGER,
                    array_first INTEGER,
                    array_count INTEGER,
                    attempt INTEGER NOT NULL,
                    submitted_at REAL NOT NULL,
                    options TEXT NOT NULL DEFAULT ''
                );
                INSERT INTO submissions_v3 (id, scheduler_id, role, simulation_id, array_first, array_count, attempt,
                    submitted_at, options)
                SELECT id, scheduler_id, role, simulation_id, array_first, array_count, attempt, submitted_at, options
                FROM submissions;
                DROP TABLE submissions;
                ALTER TABLE submissions_v3 RENAME TO submissions;
                CREATE TABLE jobs_v3 (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    submission_id INTEGER NOT NULL REFERENCES submissions(id),
                    scheduler_id TEXT NOT NULL,
                    role TEXT NOT NULL CHECK (role IN ('server', 'simulation', 'worker')),
                    simulation_id INTEGER,
                    attempt INTEGER NOT NULL,
                    state TEXT NOT NULL,
                    state_code TEXT NOT NULL,
                    state_word TEXT,
                    exit_code INTEGER,
                    signal INTEGER,
                    node_list TEXT,
                    submitted_at REAL NOT NULL,
                    updated_at REAL NOT NULL,
                    process_group INTEGER,
                    worker INTEGER
                );
                INSERT INTO jobs_v3 (id, submission_id, scheduler_id, role, simulation_id, attempt, state, state_code,
                    state_word, exit_code, signal, node_list, submitted_at, updated_at, process_group)
                SELECT id, submission_id, scheduler_id, role, simulation_id, attempt, state, state_code, state_word,
                    exit_code, signal, node_list, submitted_at, updated_at, process_group
                FROM jobs;
                DROP TABLE jobs;
                ALTER TABLE jobs_v3 RENAME TO jobs;
                CREATE INDEX jobs_by_scheduler_id ON jobs(scheduler_id);
                CREATE INDEX jobs_by_simulation ON jobs(simulation_id, attempt);
                CREATE INDEX jobs_by_state ON jobs(state);
                CREATE INDEX jobs_by_worker ON jobs(worker);
                """)
    }
}
