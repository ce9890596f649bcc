import ArgumentParser
import Foundation
import Launching
import PlanModel
import Planning

extension MelissaBench {
    /// `melissa-bench status`: `melissa status` on a study of many simulations, from a synthetic journal written
    /// through the journal's own API (job arrays of 1,000 tasks, each job pending, then running, then over; some
    /// retried, some given up), against a read of every job row of the same journal.
    struct StatusBenchmark: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Time `melissa status` (its journal reads) on a synthetic study of many simulations."
        )

        @Option(help: "Simulations in the study.")
        var simulations = 100_000

        @Option(help: "Times to read the status (the best is reported).")
        var repeats = 5

        @Option(
            help: ArgumentHelp(
                "A melissa executable: also times the whole `melissa status <study dir>` process.", valueName: "path"))
        var melissa: String?

        @Option(
            help: ArgumentHelp(
                "A Maestro executable (maestrowf 1.2.1): times `maestro status` of a dry-run study as the baseline.",
                valueName: "path"))
        var maestro: String?

        @Option(help: "Parameter sets of Maestro's study.")
        var maestroSimulations = 10_000

        @Flag(help: "Keep the synthetic study directory (its path is printed) to run `melissa status` on it by hand.")
        var keep = false

        func run() throws {
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("melissa-bench-status-\(UUID().uuidString)")
            defer { if !keep { try? FileManager.default.removeItem(at: directory) } }
            let study = PlanningBenchmark.study(count: simulations)
            let plan = try Planner.plan(
                PlanInput(
                    study: study, studyFileDirectory: FileManager.default.temporaryDirectory,
                    studyDirectory: directory.appendingPathComponent("study"),
                    melissaExecutable: "/usr/local/bin/melissa"))
            _ = try PlanWriter(templates: try TemplateSet()).write(plan)
            let buildStart = DispatchTime.now()
            let rows = try Self.journal(for: plan)
            let buildSeconds = PlanningBenchmark.seconds(since: buildStart)

            var best = Double.infinity
            var status: StudyStatus?
            for _ in 0..<max(1, repeats) {
                let start = DispatchTime.now()
                status = try StudyStatus.read(studyDirectory: plan.studyDirectory, lastEvents: 10)
                best = min(best, PlanningBenchmark.seconds(since: start))
            }
            var scan = Double.infinity
            for _ in 0..<max(1, repeats) {
                let start = DispatchTime.now()
                _ = try Journal(studyDirectory: plan.studyDirectory).allJobs().count
                scan = min(scan, PlanningBenchmark.seconds(since: start))
            }
            guard let summary = status?.summary else { return }
            if keep { print("study directory (kept): \(plan.studyDirectory)") }
            print(
                "status of \(simulations) simulations (synthetic journal: \(rows) job rows, built in "
                    + "\(PlanningBenchmark.format(buildSeconds)) s)")
            print(
                "  counted              \(summary.done) done, \(summary.running) running, \(summary.pending) pending, "
                    + "\(summary.failed) failed, \(summary.notSubmitted) not submitted, "
                    + "\(status?.givenUp.count ?? 0) given up, \(summary.lastEvents.count) events")
            print("  melissa status reads \(PlanningBenchmark.format(best)) s (best of \(max(1, repeats)))")
            print(
                "  baseline             \(PlanningBenchmark.format(scan)) s to read every job row once "
                    + "(Journal.allJobs); ratio \(PlanningBenchmark.format(best / max(scan, 1e-9), digits: 2))")
            if let melissa {
                var times: [Double] = []
                var lines = 0
                for _ in 0..<max(1, repeats) {
                    let start = DispatchTime.now()
                    lines = try Self.run(melissa, ["status", plan.studyDirectory]).split(separator: "\n").count
                    times.append(PlanningBenchmark.seconds(since: start))
                }
                print(
                    "  melissa status       \(PlanningBenchmark.format(times.min() ?? 0)) s, the whole process, best of "
                        + "\(times.count) (first \(PlanningBenchmark.format(times.first ?? 0)) s; \(lines) lines printed)"
                )
            }
            if let maestro {
                let out = directory.appendingPathComponent("maestro")
                _ = try PlanningBenchmark.maestro(maestro, count: maestroSimulations, in: out)
                let start = DispatchTime.now()
                _ = try Self.run(maestro, ["status", out.appendingPathComponent("out").path])
                let seconds = PlanningBenchmark.seconds(since: start)
                print(
                    "  maestro status       \(PlanningBenchmark.format(seconds)) s at \(maestroSimulations) "
                        + "(DESIGN.md: 13 s at 10,000)")
            }
        }

        /// Writes the synthetic journal of `plan`'s study; returns its job rows. 98 % of the simulations completed,
        /// 1 % run, 1 % failed once and were retried (a tenth of those given up), the rest never submitted.
        static func journal(for plan: Plan) throws -> Int {
            let journal = try Journal(studyDirectory: plan.studyDirectory)
            let start = Date(timeIntervalSince1970: 1_800_000_000)
            try journal.begin(
                JournalStudy(
                    name: plan.studyName, planHash: "bench", scheduler: "slurm",
                    simulationCount: plan.simulations.count, startedAt: start, launcherPID: 1,
                    launcherHost: "bench"))
            _ = try journal.recordSubmission(.server(of: plan), as: JobID(job: 1), at: start)
            _ = try journal.record([JobStatus(id: JobID(job: 1), state: .running, word: "RUNNING")], at: start)
            let submitted = plan.simulations.count - plan.simulations.count / 200
            var ids: [JobID] = []
            ids.reserveCapacity(submitted)
            for (index, chunk) in PlanScripts.chunks(count: submitted, size: 1000).enumerated() {
                let request = SubmissionRequest.simulations(chunk, of: plan, throttle: 64)
                let id = JobID(job: 2 + index)
                _ = try journal.recordSubmission(request, as: id, at: start)
                ids += request.jobs(submittedAs: id)
            }
            var rows = 1 + ids.count
            let running = ids.map { JobStatus(id: $0, state: .running, word: "RUNNING", nodeList: "node1") }
            _ = try journal.record(running, at: start.addingTimeInterval(60))
            var ended: [JobStatus] = []
            var retried: [Int] = []
            for (simulation, id) in ids.enumerated() {
                switch simulation % 100 {
                case 0: continue
                case 1:
                    ended.append(JobStatus(id: id, state: .failed(exitCode: 1, signal: nil), word: "FAILED"))
                    retried.append(simulation)
                default: ended.append(JobStatus(id: id, state: .completed, word: "COMPLETED"))
                }
            }
            _ = try journal.record(ended, at: start.addingTimeInterval(600))
            for (index, simulation) in retried.enumerated() {
                let at = start.addingTimeInterval(700 + Double(index))
                try journal.recordRetry(
                    simulationID: simulation, attempt: 1, cause: .failed(exitCode: 1, signal: nil), spendsBudget: true,
                    at: at)
                let request = SubmissionRequest.batchSimulation(simulation, of: plan, attempt: 1)
                let submitted = JobID(job: 1000 + index)
                _ = try journal.recordSubmission(request, as: submitted, at: at)
                let id = request.jobs(submittedAs: submitted)[0]
                rows += 1
                let state: JobState = index % 10 == 0 ? .failed(exitCode: 1, signal: nil) : .completed
                _ = try journal.record([JobStatus(id: id, state: state, word: state.name)], at: at + 60)
                if index % 10 == 0 {
                    try journal.recordDecision(
                        kind: Journal.giveUpKind, message: "simulation \(simulation) failed twice",
                        simulationID: simulation, at: at + 61)
                }
            }
            try journal.heartbeat(at: start.addingTimeInterval(2000))
            return rows
        }

        /// Runs a program to its end; returns its standard output.
        static func run(_ executable: String, _ arguments: [String]) throws -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw ValidationError(
                    "\(executable) \(arguments.joined(separator: " ")) exited with "
                        + "\(process.terminationStatus)")
            }
            return String(decoding: data, as: UTF8.self)
        }
    }
}
