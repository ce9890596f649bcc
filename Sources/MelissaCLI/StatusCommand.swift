import ArgumentParser
import Foundation
import Launching

extension Melissa {
    /// `melissa status`: where a study stands, from its journal (and its server, when it answers).
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show where a study stands: simulations done, running, pending, failed; the latest events.",
            discussion: """
                Reads <study dir>/journal.sqlite (safe while the launcher writes it) and, when the server \
                listens, asks it for its status (buffer population, rates, validation loss).
                """
        )

        @Argument(help: "The study directory, or the study file that was launched.")
        var studyDirectory: String

        @Option(name: .long, help: "How many of the latest events to show.")
        var events: Int = 10

        @Flag(
            name: .long,
            help: "A table of every simulation: id, role, parameters, state, attempt, runtime, job, log file.")
        var simulations = false

        @Flag(name: .long, help: "The table of --simulations as JSON, for scripts.")
        var json = false

        func run() async throws {
            let directory = try StudyFileInput.launchedStudyDirectory(studyDirectory, command: "status")
            if simulations || json {
                let table = try SimulationTable(directory: directory)
                if json {
                    FileHandle.standardOutput.write(try table.json())
                    FileHandle.standardOutput.write(Data("\n".utf8))
                } else {
                    print(table.text)
                }
                return
            }
            let status = try StudyStatus.read(studyDirectory: directory, lastEvents: max(0, events))
            var server: ServerStatus?
            if let address = ServerControl.address(inStudyDirectory: directory), status.summary.server?.isLive == true {
                server = try? await ServerControl().ping(address, timeout: 2)
            }
            print(
                Self.render(
                    status.summary, study: status.study, givenUp: status.givenUp, spent: status.spent, server: server))
        }

        static func render(
            _ summary: JournalSummary, study: JournalStudy?, givenUp: Set<Int>, spent: [Int: Int], server: ServerStatus?
        ) -> String {
            var lines: [String] = []
            var head = "study \(summary.studyName)"
            if let study {
                head += " (\(study.scheduler)), launched \(study.launches) time\(study.launches == 1 ? "" : "s")"
            }
            lines.append(head)
            if let study {
                let running = StudyCancellation.isRunning(study)
                var launcher =
                    "launcher    pid \(study.launcherPID.map(String.init) ?? "?") on \(study.launcherHost ?? "?")"
                launcher += running ? ", running" : ", not running"
                if let beat = summary.heartbeat {
                    launcher += ", last heartbeat \(Int(Date().timeIntervalSince(beat))) s ago"
                }
                lines.append(launcher)
            }
            lines.append(
                "simulations \(summary.simulations): \(summary.done) done, \(summary.running) running, "
                    + "\(summary.pending) pending, \(summary.failed) failed, \(summary.notSubmitted) not submitted"
                    + (givenUp.isEmpty ? "" : " (\(givenUp.count) given up)"))
            let retried = spent.filter { $0.value > 0 }.sorted { $0.key < $1.key }
            if !retried.isEmpty {
                lines.append(
                    "attempts    retries spent: "
                        + retried.prefix(20).map { "sim \($0.key) ×\($0.value)" }.joined(separator: ", ")
                        + (retried.count > 20 ? ", …" : ""))
            }
            lines.append("server      " + (summary.server.map(\.code) ?? "not submitted"))
            lines += workerLines(summary.workers)
            if let server {
                let progress = LaunchProgress(server: server, serverListening: true)
                lines.append(
                    "            " + progress.serverText + ", \(server.batches) batches"
                        + (server.receptionOver ? ", reception over" : ""))
            }
            if !summary.lastEvents.isEmpty {
                lines.append("latest events:")
                let formatter = DateFormatter()
                formatter.dateFormat = "HH:mm:ss"
                for event in summary.lastEvents {
                    lines.append("  \(formatter.string(from: event.at))  \(event.kind.rawValue)  \(event.message)")
                }
            }
            return lines.joined(separator: "\n")
        }

        /// The workers (`execution.workers`): how many do what, then one line per worker whose job is not over.
        static func workerLines(_ workers: [JournalWorker]) -> [String] {
            guard !workers.isEmpty else { return [] }
            let rows = workers.map(SimulationTable.row)
            let running = rows.count { $0.state == "running" || $0.state == "starting" }
            let idle = rows.count { $0.state == "idle" }
            let pending = rows.count { $0.state == "pending" }
            let over = workers.count { $0.job.state.isFinished }
            let ran = workers.reduce(0) { $0 + $1.runs }
            var lines = [
                "workers     \(running) running, \(idle) idle, \(pending) pending, \(over) over "
                    + "(\(workers.count) submitted, \(ran) simulation\(ran == 1 ? "" : "s") run)"
            ]
            let live = rows.filter { row in workers.first { $0.number == row.id }?.job.state.isFinished == false }
            for row in live.prefix(20) {
                var line = "  worker \(row.id)  job \(row.job)"
                if let host = row.host { line += " on \(host)" }
                if let simulation = row.simulation {
                    line += ", \(row.state) simulation \(simulation) (attempt \(row.attempt ?? 0))"
                } else {
                    line += ", \(row.state)"
                }
                line += ", \(row.runs) run"
                lines.append(line)
            }
            if live.count > 20 { lines.append("  … \(live.count - 20) more: melissa status --simulations lists them") }
            return lines
        }
    }
}
