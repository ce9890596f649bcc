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
                never run again). SIGINT or SIGTERM stops the launcher and leaves the jobs running. \
                See docs/launching.md.
                """
        )

        @Argument(help: "The study directory (with plan.json), or a study file (.yaml) to plan first.")
        var study: String

        @Flag(name: .long, help: "Continue a study whose launcher stopped: adopt its live jobs.")
        var resume = false

        @Option(name: .long, help: "Seconds between two polls of the scheduler.")
        var poll: Double = 2

        @Option(name: .long, help: "Seconds between two pings of the server (it is dead after twice this).")
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
            } catch let error as LauncherError {
                throw Self.failure(error.description)
            }
            let task = Task { try await launcher.run() }
            let signals = SignalHandlers([SIGINT, SIGTERM]) { task.cancel() }
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

        /// The study directory: the argument itself, or the one a study file plans into (planned now, unless the
        /// study was launched before).
        func studyDirectory() throws -> String {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: study, isDirectory: &isDirectory) else {
                throw Self.failure("no such study directory or file: \(study)")
            }
            if isDirectory.boolValue { return URL(fileURLWithPath: study).standardizedFileURL.path }
            let loaded = try StudyFileInput.load(study)
            let input = PlanInput(
                loaded: loaded, studyDirectory: nil, scheduler: nil,
                melissaExecutable: Melissa.Plan.currentExecutable())
            do {
                let plan = try Planner.plan(input)
                let journal = plan.studyDirectory + "/" + Journal.fileName
                if FileManager.default.fileExists(atPath: journal) {
                    // Launched before: its plan stays as it is (a resume checks it did not change).
                    return plan.studyDirectory
                }
                _ = try Planner.write(plan)
                FileHandle.standardOutput.write(Data("planned \(plan.studyName) into \(plan.studyDirectory)\n".utf8))
                return plan.studyDirectory
            } catch let error as PlanningError {
                throw Self.failure("melissa plan: \(error.description)")
            }
        }

        /// Prints `message` as the launch's error and returns exit status 1 to throw (so that `defer`s run).
        /// The end of a study the server finished: the report and its verdict, then `✓` — or `✗` and exit 1 when
        /// no simulation completed or the server trained nothing usable (never a silent success).
        static func conclude(directory: String, done: Int, givenUp: Int) throws {
            let counts =
                "\(counted(done, "simulation")) done" + (givenUp > 0 ? ", \(givenUp) given up" : "")
            let verdict = Melissa.Report.writeAtEnd(of: directory)
            if done == 0 {
                print("✗ study ended without a result: \(counts); see \(directory)/logs and the journal")
                throw ExitCode(1)
            }
            if let verdict, verdict.isFailure {
                print("✗ study ended without a usable surrogate: \(counts); " + verdict.reasons.joined(separator: "; "))
                throw ExitCode(1)
            }
            print("✓ study complete: \(counts)")
        }

        static func failure(_ message: String) -> ExitCode {
            FileHandle.standardError.write(Data("melissa launch: \(message)\n".utf8))
            return ExitCode(1)
        }
    }
}
