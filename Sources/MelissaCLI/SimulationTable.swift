import Foundation
import Launching
import PlanModel
import Planning

/// `melissa status DIR --simulations`: one row per simulation, from the plan, the redraws and the journal.
struct SimulationTable {
    /// One simulation's row.
    struct Row: Codable, Hashable {
        var id: Int
        var role: String
        /// The parameter values it runs with (its redrawn ones once redrawn), in the study's order.
        var parameters: [String: String]
        /// `done`, `running`, `pending`, `failed`, `incomplete` (its last attempt ended with steps missing), `given
        /// up`, `not submitted`.
        var state: String
        /// Its latest job's attempt, nil before its first submission.
        var attempt: Int?
        /// Its latest job, as the scheduler names it.
        var job: String?
        /// Seconds its latest job ran or has run (from its submission, while running), nil before.
        var seconds: Double?
        /// The scheduler's word for its latest job's state.
        var word: String?
        /// Its latest job's error log, when it exists.
        var log: String?
        /// The worker that ran (or runs) its latest attempt (`execution.workers`).
        var worker: Int?
    }

    /// One worker's row (`execution.workers`).
    struct WorkerRow: Codable, Hashable {
        /// Its number.
        var id: Int
        /// Its latest job, as the scheduler names it.
        var job: String
        /// `running`, `starting` (a simulation handed out, not yet reported running), `idle`, `pending`, or how its
        /// job ended (`completed`, `failed:1`…).
        var state: String
        /// The simulation it runs now, and its attempt.
        var simulation: Int?
        var attempt: Int?
        /// Simulations it ran to their end.
        var runs: Int
        /// Where its job runs.
        var host: String?
    }

    var parameterNames: [String]
    var rows: [Row]
    var workers: [WorkerRow]

    /// The table of the study in `directory`.
    init(directory: String) throws {
        let plan = try PlanWriter.decode(Data(contentsOf: URL(fileURLWithPath: directory + "/plan.json")))
        let journal = try Journal(studyDirectory: directory)
        let jobs = try journal.allJobs()
        let completed = try journal.completedSimulations()
        let givenUp = try journal.givenUpSimulations()
        let redraws =
            (try? RedrawTable.read(from: URL(fileURLWithPath: directory), parameters: plan.parameters))
            ?? RedrawTable()
        var latest: [Int: JournalJob] = [:]
        for job in jobs { if let id = job.simulationID { latest[id] = job } }
        let now = Date()
        parameterNames = plan.parameters.map(\.name)
        rows = plan.simulations.map { simulation in
            let id = simulation.id
            let values =
                (redraws.allEntries.last { $0.simulation == id }?.values ?? simulation.values).map(\.description)
            var row = Row(
                id: id, role: simulation.role.rawValue,
                parameters: Dictionary(zip(plan.parameters.map(\.name), values)) { first, _ in first },
                state: "not submitted")
            if let job = latest[id] {
                row.attempt = job.attempt
                row.job = job.schedulerID.description
                row.word = job.word
                let end = job.state.isFinished ? job.updatedAt : now
                row.seconds = max(0, end.timeIntervalSince(job.submittedAt))
                row.log = Self.log(of: job, plan: plan)
                row.state = job.state.standing
                row.worker = job.worker
                if row.state == "failed", job.word?.hasPrefix("incomplete") == true { row.state = "incomplete" }
            }
            if completed.contains(id) { row.state = "done" }
            if givenUp.contains(id) { row.state = "given up" }
            return row
        }
        workers = try journal.workers().map(Self.row)
    }

    /// A worker's row.
    static func row(_ worker: JournalWorker) -> WorkerRow {
        var state = worker.activity
        if let current = worker.current { state = current.state == .running ? "running" : "starting" }
        return WorkerRow(
            id: worker.number, job: worker.job.schedulerID.description, state: state,
            simulation: worker.current?.simulationID, attempt: worker.current?.attempt, runs: worker.runs,
            host: worker.job.nodeList)
    }

    /// The error log of `job`: the local scripts' per-attempt file, or Slurm's per-job one.
    static func log(of job: JournalJob, plan: PlanModel.Plan) -> String? {
        guard let id = job.simulationID else { return nil }
        let logs = plan.logsDirectory
        let candidates = [
            "\(logs)/\(plan.simulationJobName)-\(id).attempt-\(job.attempt).err",
            "\(logs)/\(plan.simulationJobName)-\(job.schedulerID.description).err",
            "\(logs)/\(plan.simulationJobName)-\(id).err",
        ]
        return candidates.first { FileManager.default.fileExists(atPath: $0) }
    }

    /// The table as text, columns aligned; with workers, a `worker` column and the workers' own table after it.
    var text: String {
        let hasWorkers = !workers.isEmpty
        let header =
            ["id", "role"] + parameterNames + ["state", "attempt", "runtime", "job"] + (hasWorkers ? ["worker"] : [])
            + ["log"]
        var lines = [header]
        for row in rows {
            var cells = ["\(row.id)", row.role]
            cells += parameterNames.map { name in row.parameters[name] ?? "" }
            cells += [
                row.state, row.attempt.map(String.init) ?? "-",
                row.seconds.map { String(format: "%.1f s", $0) } ?? "-", row.job ?? "-",
            ]
            if hasWorkers { cells.append(row.worker.map(String.init) ?? "-") }
            cells.append(row.log ?? "-")
            lines.append(cells)
        }
        var text = Self.aligned(lines)
        if hasWorkers {
            var table = [["worker", "job", "state", "simulation", "attempt", "runs", "host"]]
            for worker in workers {
                table.append([
                    "\(worker.id)", worker.job, worker.state, worker.simulation.map(String.init) ?? "-",
                    worker.attempt.map(String.init) ?? "-", "\(worker.runs)", worker.host ?? "-",
                ])
            }
            text += "\n\n" + Self.aligned(table)
        }
        return text
    }

    /// Rows of cells as columns padded to their widest cell.
    static func aligned(_ lines: [[String]]) -> String {
        let columns = lines.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in lines.map { $0.count > column ? $0[column].count : 0 }.max() ?? 0 }
        return lines.map { cells in
            zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }

    /// The table as JSON: `{"parameters": [...], "simulations": [...], "workers": [...]}` (`workers` empty without
    /// `execution.workers`).
    func json() throws -> Data {
        struct Document: Codable {
            var parameters: [String]
            var simulations: [Row]
            var workers: [WorkerRow]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(Document(parameters: parameterNames, simulations: rows, workers: workers))
    }
}
