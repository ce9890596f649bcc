import ArgumentParser
import Foundation
import Launching
import PlanModel
import Planning
import StudySpec

extension Melissa {
    /// `melissa plan`: turns a study into a job graph and the scripts that run it.
    struct Plan: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Plan a study: draw its parameter sets and write plan.json and the job scripts.",
            discussion: """
                Writes <study dir>/plan.json, parameters.csv, the secret token (kept when it exists), and \
                the scripts under scripts/: sbatch files for Slurm, run scripts for local. Nothing is \
                submitted; `melissa launch <study dir>` does that. See docs/plan-format.md.
                """
        )

        @Argument(help: "The study file (YAML).", completion: .file(extensions: ["yaml", "yml"]))
        var studyFile: String?

        @Option(
            name: .long,
            help: ArgumentHelp(
                "An adaptive study's directory: print every parameter set it ran (CSV), each batch proposed again "
                    + "from the journal and checked bit for bit.", valueName: "study-dir"))
        var replay: String?

        @Option(name: .long, help: "The study directory (default: study.output, relative to the study file).")
        var out: String?

        @Option(name: .long, help: "The scheduler the scripts are written for: local or slurm (default: the study's).")
        var scheduler: SchedulerChoice?

        @Flag(name: .long, help: "Print plan.json instead of the summary (the files are written all the same).")
        var json = false

        @Option(name: .long, help: "The melissa executable the server job runs (default: this one).")
        var melissa: String?

        @Flag(
            name: .long, help: "Move a study directory launched before aside (to <dir>.1, <dir>.2, …) and plan afresh.")
        var fresh = false

        func run() throws {
            if let replay {
                try Self.replay(replay)
                return
            }
            guard let studyFile else { throw ValidationError("give a study file, or --replay STUDY_DIR") }
            let loaded = try StudyFileInput.load(studyFile)
            let input = PlanInput(
                loaded: loaded,
                studyDirectory: out.map { URL(fileURLWithPath: $0).standardizedFileURL },
                scheduler: scheduler.map { ExecutionSpec.Scheduler(rawValue: $0.rawValue) ?? .local },
                melissaExecutable: melissa.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
                    ?? Self.currentExecutable()
            )
            do {
                let plan = try Planner.plan(input)
                if LaunchedStudy.isLaunched(plan.studyDirectory) {
                    // Its journal records what ran under the plan there: a new plan must not replace it silently.
                    guard fresh else {
                        FileHandle.standardError.write(
                            Data(
                                ("melissa plan: \(plan.studyDirectory) was launched (it has a journal): planning into "
                                    + "it would change the plan under what already ran. `melissa plan \(studyFile) "
                                    + "--fresh` moves it aside first, `--out DIR` plans elsewhere, `melissa launch "
                                    + "\(plan.studyDirectory) --resume` continues it\n").utf8))
                        throw ExitCode(1)
                    }
                    do {
                        let aside = try LaunchedStudy.moveAside(plan.studyDirectory)
                        FileHandle.standardError.write(Data("moved the study launched before to \(aside)\n".utf8))
                    } catch let error as LauncherError {
                        FileHandle.standardError.write(Data("melissa plan: \(error.description)\n".utf8))
                        throw ExitCode(1)
                    }
                }
                let (result, templates) = try Planner.write(plan)
                if json {
                    let data = try PlanWriter.encode(plan)
                    FileHandle.standardOutput.write(data)
                } else {
                    print(Self.summary(plan, result, templates: templates))
                }
            } catch let error as PlanningError {
                FileHandle.standardError.write(Data("melissa plan: \(error.description)\n".utf8))
                throw ExitCode(1)
            }
        }

        /// `--replay DIR`: the parameter sets of an adaptive study, replayed from its journal.
        static func replay(_ directory: String) throws {
            func fail(_ message: String) -> ExitCode {
                FileHandle.standardError.write(Data("melissa plan --replay: \(message)\n".utf8))
                return ExitCode(1)
            }
            let planPath = directory + "/plan.json"
            guard let data = FileManager.default.contents(atPath: planPath) else {
                throw fail("no plan in \(directory) (\(planPath) is missing)")
            }
            let plan: PlanModel.Plan
            do {
                plan = try PlanWriter.decode(data)
            } catch {
                throw fail("cannot read \(planPath): \(error)")
            }
            guard plan.adaptive != nil else {
                throw fail("\(directory) is not an adaptive study: its parameter sets are all in plan.json")
            }
            guard LaunchedStudy.isLaunched(directory) else { throw fail("\(directory) was never launched") }
            let records: [String]
            do {
                records = try Journal(studyDirectory: directory).decisions(kind: Launcher.proposeKind)
            } catch {
                throw fail("cannot read the journal of \(directory): \(error)")
            }
            do {
                let replayed = try AdaptiveReplay(plan: plan, records: records)
                print(replayed.csv(parameters: plan.parameters.map(\.name)), terminator: "")
                FileHandle.standardError.write(
                    Data(
                        ("replayed \(replayed.batches) of \(plan.adaptiveBatchCount) batches bit for bit; "
                            + "\(replayed.rows.count) parameter sets\n").utf8))
            } catch let mismatch as AdaptiveReplay.Mismatch {
                throw fail(mismatch.description)
            }
        }

        /// The absolute path of the running executable.
        static func currentExecutable() -> String {
            if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
                return path
            }
            let argument = CommandLine.arguments.first ?? "melissa"
            let url = URL(fileURLWithPath: argument)
            return url.standardizedFileURL.path
        }

        static func summary(_ plan: PlanModel.Plan, _ result: PlanWriteResult, templates: TemplateSet) -> String {
            func hours(_ value: Double) -> String { String(format: "%.1f", value) }
            var lines: [String] = []
            lines.append("✓ planned \(plan.studyName) for \(plan.scheduler.rawValue)")
            var simulations = "\(plan.trainingCount) training + \(plan.validationCount) validation simulations"
            if let allocation = plan.allocation {
                simulations += ", at most \(plan.concurrency.max) at once, as steps of one allocation"
                lines.append(
                    "  jobs        1 server (\(plan.server.ranks) rank\(plan.server.ranks == 1 ? "" : "s")), \(simulations)"
                )
                lines.append("  allocation  \(Self.describe(allocation))")
            } else if let workers = plan.workers {
                simulations +=
                    " run one after another by \(workers.count) worker job\(workers.count == 1 ? "" : "s") at most "
                    + "(walltime \(workers.walltime) each)"
            } else if plan.scheduler == .slurm {
                let arrays = plan.scripts.arrays.count
                simulations +=
                    plan.packing == .jobs
                    ? ", one job each"
                    : ", \(arrays == 1 ? "one job array" : "\(arrays) job arrays") (at most \(plan.concurrency.max) at once)"
            }
            if plan.allocation == nil {
                lines.append(
                    "  jobs        1 server (\(plan.server.ranks) rank\(plan.server.ranks == 1 ? "" : "s")), \(simulations)"
                )
            }
            lines.append(
                "  requested   \(hours(plan.totals.coreHours)) core-hours, \(hours(plan.totals.nodeHours)) node-hours, "
                    + "\(hours(plan.totals.gpuHours)) GPU-hours"
            )
            lines.append("  study dir   \(plan.studyDirectory)")
            lines.append(
                "  wrote       \(result.files.count) files (\(result.bytes) bytes): plan.json, parameters.csv, scripts/"
                    + (result.tokenCreated ? ", token" : "; kept the existing token"))
            if !templates.overridden.isEmpty {
                lines.append(
                    "  templates   \(templates.overridden.joined(separator: ", ")) from \(plan.templatesDirectory ?? "")"
                )
            }
            if let allocation = plan.allocation {
                lines.append(
                    "  next        sbatch \(ShellQuote.word(plan.studyDirectory + "/" + allocation.script)) "
                        + "(melissa launch runs inside it; sbatch it again to resume)")
            } else {
                lines.append("  next        melissa launch \(ShellQuote.word(plan.studyDirectory))")
            }
            return lines.joined(separator: "\n")
        }

        /// A study's single allocation in one line: its layout, why, and each component's size.
        static func describe(_ allocation: AllocationPlan) -> String {
            let parts = allocation.components.map { component in
                let nodes =
                    component.minimumNodes == component.maximumNodes
                    ? "\(component.minimumNodes)" : "\(component.minimumNodes)-\(component.maximumNodes)"
                var text =
                    "\(component.holds.map(\.rawValue).joined(separator: " + ")): \(nodes) node(s), "
                    + "\(component.tasks) task(s) × \(component.cpusPerTask) CPU"
                if let memory = component.memoryPerCpuMib { text += ", \(memory) MiB per CPU" }
                if component.gpus > 0 { text += ", \(component.gpus) GPU(s) per node" }
                if let partition = component.slurm.partition { text += " in \(partition)" }
                return text
            }
            return "\(allocation.layout.rawValue) (\(allocation.reason)), \(allocation.walltime): "
                + parts.joined(separator: "; ")
        }
    }
}
