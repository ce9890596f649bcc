import ArgumentParser
import Foundation
import Launching
import PlanModel
import Planning
import Server
import StudySpec

#if canImport(Glibc)
    import Glibc
#endif

extension Melissa {
    /// `melissa launch`: runs a planned study to its end.
    struct Launch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Launch a study: submit the server and the simulations, watch them, restart what fails.",
            discussion: """
                Given a study file (.yaml), plans it into its study directory first, like `melissa plan`. \
                Everything is recorded in <study dir>/journal.sqlite: `melissa status DIR` shows it from another \
                shell, `melissa cancel DIR` stops the study. A study that was launched before is only continued \
                with --resume (after the launcher was killed: its running jobs are adopted, finished simulations \
                never run again; a study never launched starts). SIGINT or SIGTERM stops the launcher and leaves \
                the jobs running. A study planned for one Slurm allocation (execution.slurm.allocation: single) \
                is launched by sbatch of scripts/<study>-allocation.sbatch, which runs melissa launch inside it; \
                there SIGUSR1 (the walltime warning), SIGINT or SIGTERM pauses the study: the server checkpoints, \
                every step stops, exit status 5, and sbatch of the same script resumes it. See docs/launching.md.
                """
        )

        @Argument(help: "The study directory (with plan.json), or a study file (.yaml) to plan first.")
        var study: String

        @Flag(
            name: .long,
            help: "Continue a study whose launcher stopped: adopt its live jobs (a study never launched starts).")
        var resume = false

        @Flag(
            name: .long,
            help:
                "With a study file: move a study directory launched before aside (to <dir>.1, <dir>.2, …) and start afresh."
        )
        var fresh = false

        @Option(name: .long, help: "Seconds between two polls of the scheduler.")
        var poll: Double = 2

        @Option(
            name: .long, help: "Seconds between two pings of the server (dead after twice this and 3 pings unanswered)."
        )
        var heartbeat: Double?

        func run() async throws {
            let directory = try studyDirectory()
            var options = LauncherOptions(resume: resume, pollInterval: max(0.05, poll))
            if let seconds = heartbeat ?? ProcessInfo.processInfo.environment["MELISSA_HEARTBEAT"].flatMap(Double.init)
            {
                options.heartbeatInterval = max(0.1, seconds)
            }
            let printer = ProgressPrinter()
            let launcher: Launcher
            do {
                launcher = try Launcher(studyDirectory: directory, options: options) { printer.handle($0) }
            } catch LauncherError.studyComplete(_, let ended) {
                // Nothing is restarted and no model rewritten: the study's verdict is said again, from what it left.
                print("\(directory) is already complete (\(ended)): nothing to resume")
                let journal = try Journal(studyDirectory: directory)
                try Self.conclude(
                    directory: directory, done: try journal.summary(lastEvents: 0).done,
                    givenUp: try journal.givenUpSimulations().count)
                return
            } catch let error as LauncherError {
                throw Self.failure(error.description)
            }
            // Only once this launcher holds the study's lock: the log is this launch's.
            printer.log(to: directory + "/" + Self.logFileName)
            let task = Task { try await launcher.run() }
            // Inside the study's one allocation, the jobs end with it: the end of the allocation (its walltime
            // warning, SIGUSR1, which the batch script passes on for SIGTERM and SIGINT too) pauses the study.
            let signals =
                launcher.plan.allocation == nil
                ? SignalHandlers([SIGINT, SIGTERM]) { task.cancel() }
                : SignalHandlers([SIGUSR1, SIGINT, SIGTERM]) { Task { await launcher.requestPause() } }
            defer { signals.cancel() }
            do {
                let outcome = try await task.value
                printer.finish()
                switch outcome {
                case .completed(let done, let givenUp):
                    if launcher.plan.isOffline, done > 0 {
                        // docs/offline.md: the simulations wrote their data; the same trainer trains on it now.
                        try Melissa.Train.trainAfterLaunch(directory: directory)
                    }
                    try Self.conclude(directory: directory, done: done, givenUp: givenUp)
                case .cancelled:
                    print("study cancelled: every job was stopped")
                    throw ExitCode(3)
                case .detached:
                    print("launcher stopped; the jobs go on: `melissa launch \(directory) --resume` continues")
                    throw ExitCode(4)
                case .paused:
                    let resume =
                        launcher.plan.allocation.map { "sbatch \(directory)/\($0.script)" }
                        ?? "melissa launch \(directory) --resume"
                    print("study paused: the server checkpointed and every job stopped; `\(resume)` resumes it")
                    throw ExitCode(Self.pausedExitCode)
                }
            } catch let error as LauncherError {
                printer.finish()
                throw Self.failure(error.description)
            } catch let error as ExitCode {
                throw error
            } catch {
                printer.finish()
                throw Self.failure(String(describing: error))
            }
        }

        /// The launcher log's name in the study directory.
        static let logFileName = "launcher.log"

        /// The exit status of a paused launch (the end of the study's allocation): resumable.
        static let pausedExitCode: Int32 = 5

        /// The study directory: the argument itself, or the one a study file plans into (planned now, unless the
        /// study was launched before).
        func studyDirectory() throws -> String {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: study, isDirectory: &isDirectory) else {
                throw Self.failure("no such study directory or file: \(study)")
            }
            if isDirectory.boolValue {
                if fresh {
                    throw Self.failure(
                        "--fresh needs the study file, to plan it again: `melissa launch STUDY.yaml --fresh`")
                }
                return URL(fileURLWithPath: study).standardizedFileURL.path
            }
            if fresh && resume { throw Self.failure("--fresh and --resume exclude each other") }
            let loaded = try StudyFileInput.load(study)
            let input = PlanInput(
                loaded: loaded, studyDirectory: nil, scheduler: nil,
                melissaExecutable: Melissa.Plan.currentExecutable())
            do {
                let plan = try Planner.plan(input)
                let directory = plan.studyDirectory
                if LaunchedStudy.isLaunched(directory) {
                    if fresh {
                        let live = (try? Journal(studyDirectory: directory).liveJobs().count) ?? 0
                        let aside = try LaunchedStudy.moveAside(directory)
                        print(
                            "moved the study launched before to \(aside)"
                                + (live > 0 ? " (\(live) of its jobs may still run: `melissa cancel \(aside)`)" : ""))
                    } else if let changed = LaunchedStudy.difference(plan, fromPlanIn: directory) {
                        // Never mixed: the old plan goes on only from its directory, the new one only afresh.
                        throw Self.failure(
                            "\(study) changed since \(directory) was launched (in \(changed.joined(separator: ", "))): "
                                + "`melissa launch \(study) --fresh` moves \(directory) aside and runs the edited "
                                + "study afresh; `melissa launch \(directory) --resume` continues the old plan")
                    } else {
                        // Launched before with this very plan: a resume continues it, a plain launch is refused.
                        return directory
                    }
                }
                _ = try Planner.write(plan)
                FileHandle.standardOutput.write(Data("planned \(plan.studyName) into \(plan.studyDirectory)\n".utf8))
                return plan.studyDirectory
            } catch let error as PlanningError {
                throw Self.failure("melissa plan: \(error.description)")
            } catch let error as LauncherError {
                throw Self.failure(error.description)
            }
        }

        /// The end of a study the server finished: the report and its verdict, then `✓` — or `✗`, the reason and
        /// the last lines of a failed simulation's log, and exit 1 when no simulation completed, more simulations
        /// were given up than `simulation.given_up_tolerance` allows, no model was written, or the surrogate is
        /// not usable (never a silent success; docs/launching.md, "Exit codes").
        static func conclude(directory: String, done: Int, givenUp: Int) throws {
            let counts =
                "\(counted(done, "simulation")) done" + (givenUp > 0 ? ", \(givenUp) given up" : "")
            let verdict = Melissa.Report.writeAtEnd(of: directory)
            let plan = (FileManager.default.contents(atPath: directory + "/plan.json")).flatMap {
                try? PlanWriter.decode($0)
            }
            var reasons: [String] = []
            if done == 0 {
                reasons.append("no simulation completed")
            } else if let plan {
                reasons += tooManyGivenUp(plan, directory: directory)
                if let ending = ServerEnding.read(fromStudy: directory), !ending.modelWritten {
                    reasons.append("the server trained nothing (\(ending.batches) batches): no model was written")
                }
            }
            if reasons.isEmpty, let verdict, verdict.isFailure { reasons += verdict.reasons }
            guard reasons.isEmpty else {
                let headline = done == 0 ? "without a result" : "without a usable surrogate"
                print("✗ study ended \(headline): \(counts); " + reasons.joined(separator: "; "))
                if let plan, givenUp > 0 || done == 0 {
                    let log = LogExcerpt.newestFile(
                        in: plan.logsDirectory, prefix: plan.simulationJobName + "-", suffix: ".err")
                    if let log, let tail = LogExcerpt.tail(ofFile: log, lines: 6) {
                        print(LogExcerpt.explained(tail, file: log))
                    }
                }
                print("  see \(directory)/logs, `melissa status \(directory) --simulations` and the journal")
                throw ExitCode(1)
            }
            print("✓ study complete: \(counts)")
        }

        /// The reasons a study gave up on more simulations than `simulation.given_up_tolerance` allows, per role.
        static func tooManyGivenUp(_ plan: PlanModel.Plan, directory: String) -> [String] {
            guard let givenUp = try? Journal(studyDirectory: directory).givenUpSimulations(), !givenUp.isEmpty
            else { return [] }
            let tolerance = plan.simulation.givenUpTolerance ?? .standard
            var reasons: [String] = []
            for (role, allowed, total) in [
                (SimulationRole.training, tolerance.training, plan.trainingCount),
                (.validation, tolerance.validation, plan.validationCount),
            ] where total > 0 {
                let count = givenUp.count { $0 < plan.simulations.count && plan.simulations[$0].role == role }
                if Double(count) > allowed * Double(total) {
                    reasons.append(
                        "\(count) of \(total) \(role.rawValue) simulations were given up, more than "
                            + "simulation.given_up_tolerance allows (\(Int((allowed * 100).rounded())) %)")
                }
            }
            return reasons
        }

        /// Prints `message` as the launch's error and returns exit status 1 to throw (so that `defer`s run).
        static func failure(_ message: String) -> ExitCode {
            FileHandle.standardError.write(Data("melissa launch: \(message)\n".utf8))
            return ExitCode(1)
        }
    }
}
