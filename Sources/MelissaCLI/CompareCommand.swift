import ArgumentParser
import Foundation
import PlanModel
import Planning
import Server
import StudyReport
import StudySpec

extension Melissa {
    /// `melissa compare`: the paper's experiment as one command.
    struct Compare: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a study online with FIFO, FIRO and Reservoir, and offline, and compare them.",
            discussion: """
                The same study file (same seed, simulations, network and validation) is planned four times into \
                <out>/<run> and launched one run after the other: online with each buffer policy, then offline \
                (`execution.mode: offline`: the simulations write their data, then the same trainer trains for \
                as many epochs as it takes to reach the Reservoir run's number of batches). It writes \
                <out>/comparison.md, comparison.csv and two plots (validation loss against wall time and against \
                batches), prints the table and a verdict on each of the paper's three claims (FIFO overfits; \
                Reservoir multiplies throughput; online matches or beats offline), and exits 1 when a run failed. \
                <out> (default: the study's output directory + `-comparison`) is replaced. See docs/experiments.md.
                """
        )

        @Argument(help: "The study file (YAML).", completion: .file(extensions: ["yaml", "yml"]))
        var studyFile: String

        @Option(help: "Where the runs and the comparison go (replaced).")
        var out: String?

        @Option(help: "The runs, in order, from fifo, firo, reservoir and offline (offline after reservoir).")
        var runs: String = "reservoir,fifo,firo,offline"

        func run() throws {
            let loaded = try StudyFileInput.load(studyFile)
            let names = runs.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            for name in names where !["fifo", "firo", "reservoir", "offline"].contains(name) {
                throw ValidationError("unknown run `\(name)`; expected fifo, firo, reservoir or offline")
            }
            let base = PlanInput(loaded: loaded, melissaExecutable: "").resolvedStudyDirectory
            let output = URL(fileURLWithPath: out ?? base.path + "-comparison").standardizedFileURL
            try? FileManager.default.removeItem(at: output)
            try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
            var results: [StudyComparison.Run] = []
            var failed: [String] = []
            for name in names {
                var study = loaded.study
                let directory = output.appendingPathComponent(name)
                if name == "offline" {
                    study.execution.mode = .offline
                    if let reservoir = results.first(where: { $0.name == "reservoir" }) {
                        let batches = reservoir.metrics.last?.batch ?? 0
                        let perEpoch = max(
                            1, study.sampler.count * study.simulation.timeSteps / study.training.batchSize)
                        study.training.epochs = max(1, (batches + perEpoch - 1) / perEpoch)
                    }
                } else {
                    study.buffer.policy = BufferSpec.Policy(rawValue: name) ?? .reservoir
                }
                let plan = try Planner.plan(
                    PlanInput(
                        study: study, studyFileDirectory: loaded.directory, studyDirectory: directory,
                        melissaExecutable: Melissa.Plan.currentExecutable()))
                _ = try Planner.write(plan)
                print("\(name): launching into \(directory.path) (log: \(name)/compare.log)")
                let started = Date()
                // An offline launch runs the simulations, then trains on their data.
                let status = try Self.melissa(["launch", directory.path], log: directory)
                let wall = Date().timeIntervalSince(started)
                let metrics = MetricsRecord.readAll(from: directory.appendingPathComponent("metrics.jsonl"))
                let training = metrics.last?.seconds ?? 0
                // A run that trained but gave no usable surrogate (FIFO may well) is compared all the same; one
                // without metrics failed.
                if metrics.isEmpty { failed.append("\(name) (exit \(status), no metrics)") }
                let run = StudyComparison.Run(
                    name: name, metrics: metrics, wallSeconds: wall,
                    offsetSeconds: name == "offline" ? max(0, wall - training) : 0,
                    bytesWritten: Self.bytesWritten(in: directory))
                results.append(run)
                let error = run.metrics.last { $0.relativeL2 != nil }?.relativeL2
                print(
                    "\(name): \(status == 0 ? "done" : "done without a usable surrogate (exit \(status))") in \(String(format: "%.0f", wall)) s, "
                        + "relative L2 \(error.map { String(format: "%.2f %%", $0 * 100) } ?? "not measured")")
            }
            let comparison = StudyComparison(runs: results)
            try Data(comparison.markdown(study: loaded.study.info.name).utf8).write(
                to: output.appendingPathComponent("comparison.md"))
            try Data(comparison.csv.utf8).write(to: output.appendingPathComponent("comparison.csv"))
            try Data(comparison.chart(againstTime: true).svg().utf8).write(
                to: output.appendingPathComponent("comparison-time.svg"))
            try Data(comparison.chart(againstTime: false).svg().utf8).write(
                to: output.appendingPathComponent("comparison-batches.svg"))
            print(comparison.table)
            for verdict in comparison.verdicts { print("- " + verdict) }
            print("written: \(output.path)/comparison.md, comparison.csv, comparison-time.svg, comparison-batches.svg")
            if !failed.isEmpty {
                FileHandle.standardError.write(
                    Data("melissa compare: failed runs: \(failed.joined(separator: ", "))\n".utf8))
                throw ExitCode(1)
            }
        }

        /// Runs this melissa with `arguments`, its output appended to `<directory>/compare.log`; returns its status.
        static func melissa(_ arguments: [String], log directory: URL) throws -> Int32 {
            let logURL = directory.appendingPathComponent("compare.log")
            if !FileManager.default.fileExists(atPath: logURL.path) {
                _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
            }
            let handle = try FileHandle(forWritingTo: logURL)
            defer { try? handle.close() }
            try handle.seekToEnd()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Melissa.Plan.currentExecutable())
            process.arguments = arguments
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }

        /// The bytes of the files a run wrote into its directory, its logs left out.
        static func bytesWritten(in directory: URL) -> Int64 {
            guard let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.fileSizeKey])
            else { return 0 }
            var total: Int64 = 0
            for case let url as URL in walker {
                let relative = url.path.dropFirst(directory.path.count + 1)
                if relative.hasPrefix("logs") || relative.hasPrefix("simulations") || relative.hasSuffix("compare.log")
                {
                    continue
                }
                total += Int64((try? url.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0)
            }
            return total
        }
    }
}
