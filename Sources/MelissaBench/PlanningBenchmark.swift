import ArgumentParser
import Foundation
import PlanModel
import Planning
import StudySpec

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension MelissaBench {
    /// `melissa-bench planning`: plans a 100,000-simulation study and writes it, against a raw write of the
    /// same bytes.
    struct PlanningBenchmark: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "planning",
            abstract: "Plan a large study (5 uniform parameters, Sobol): time, peak memory, files, plan size."
        )

        @Option(help: "Simulations to plan.")
        var simulations = 100_000

        @Option(
            help: ArgumentHelp(
                "A Maestro executable (maestrowf 1.2.1, e.g. /tmp/maestro/bin/maestro): times `maestro run --dry` on the "
                    + "same study as the baseline.",
                valueName: "path"))
        var maestro: String?

        @Option(help: "Parameter sets Maestro plans (default: --simulations; it needs minutes at 100,000).")
        var maestroSimulations: Int?

        func run() throws {
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("melissa-bench-planning-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            let study = Self.study(count: simulations)
            let input = PlanInput(
                study: study,
                studyFileDirectory: FileManager.default.temporaryDirectory,
                studyDirectory: directory.appendingPathComponent("study"),
                melissaExecutable: "/usr/local/bin/melissa"
            )

            let planStart = DispatchTime.now()
            let plan = try Planner.plan(input)
            let planSeconds = Self.seconds(since: planStart)

            let templates = try TemplateSet()
            let writeStart = DispatchTime.now()
            let result = try PlanWriter(templates: templates).write(plan)
            let writeSeconds = Self.seconds(since: writeStart)

            // Planning's own peak, before the baseline allocates its bytes.
            let peak = Self.peakRSSMiB()
            // Baseline: the same number of bytes in one write.
            let raw = Data(repeating: 0x61, count: result.bytes)
            let rawURL = directory.appendingPathComponent("raw.bin")
            let rawStart = DispatchTime.now()
            _ = FileManager.default.createFile(atPath: rawURL.path, contents: nil)
            let handle = try FileHandle(forWritingTo: rawURL)
            try handle.write(contentsOf: raw)
            try handle.close()
            let rawSeconds = Self.seconds(since: rawStart)

            print("planning \(simulations) simulations (5 uniform parameters, Sobol, slurm job array)")
            print("  plan (job graph)     \(Self.format(planSeconds)) s")
            print(
                "  write files          \(Self.format(writeSeconds)) s   (raw write of the same bytes: "
                    + "\(Self.format(rawSeconds)) s, ratio \(Self.format(writeSeconds / max(rawSeconds, 1e-9), digits: 1))×)"
            )
            print("  total                \(Self.format(planSeconds + writeSeconds)) s")
            print("  peak RSS             \(peak) MiB (planning and writing, before the baseline's buffer)")
            print("  files written        \(result.files.count): \(result.files.joined(separator: ", "))")
            print("  bytes written        \(result.bytes)")
            print(
                "  plan.json            \(result.planBytes) bytes (\(result.planBytes / max(simulations, 1)) per simulation)"
            )
            let total = planSeconds + writeSeconds
            guard let maestro else {
                print(
                    "  maestro              not measured (--maestro PATH); DESIGN.md: `maestro run --dry` plans 100,000 in"
                )
                print("                       269 s with 1.7 GB and 100,000 script files")
                return
            }
            let count = maestroSimulations ?? simulations
            let baseline = try Self.maestro(maestro, count: count, in: directory.appendingPathComponent("maestro"))
            print(
                "  maestro run --dry    \(count) parameter sets: \(Self.format(baseline.seconds)) s, peak RSS "
                    + "\(baseline.peakMiB) MiB, \(baseline.files) files")
            let scaled = baseline.seconds * Double(simulations) / Double(max(count, 1))
            print(
                "  ratio                melissa \(Self.format(scaled / max(total, 1e-9), digits: 0))× faster than Maestro"
                    + (count == simulations
                        ? "" : " (Maestro's time scaled linearly to \(simulations), which flatters it)"))
        }

        /// `maestro run --dry` of a spec with one step and `count` parameter sets of 5 uniform values: seconds, the
        /// peak RSS of the process (and its children), files written.
        static func maestro(_ executable: String, count: Int, in directory: URL) throws
            -> (seconds: Double, peakMiB: Int, files: Int)
        {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            var generator = SystemRandomNumberGenerator()
            var spec = """
                description:
                  name: bench
                  description: melissa-bench planning baseline
                study:
                  - name: sim
                    description: one simulation
                    run:
                      cmd: |
                        heat-pde --mesh 100 --steps 100 $(T0) $(T1) $(T2) $(T3) $(T4)
                global.parameters:

                """
            for parameter in 0..<5 {
                let values = (0..<count).map { _ in String(Double.random(in: 100...500, using: &generator)) }
                spec +=
                    "  T\(parameter):\n    values: [\(values.joined(separator: ", "))]\n    label: T\(parameter).%%\n"
            }
            let specURL = directory.appendingPathComponent("spec.yaml")
            try spec.write(to: specURL, atomically: true, encoding: .utf8)
            let output = directory.appendingPathComponent("out")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["run", "--dry", "-y", "-fg", "-o", output.path, specURL.path]
            let log = directory.appendingPathComponent("maestro.log")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            let handle = try FileHandle(forWritingTo: log)
            process.standardOutput = handle
            process.standardError = handle
            let start = DispatchTime.now()
            try process.run()
            process.waitUntilExit()
            let seconds = Self.seconds(since: start)
            try handle.close()
            guard process.terminationStatus == 0 else {
                throw ValidationError("maestro exited with \(process.terminationStatus); see \(log.path)")
            }
            var usage = rusage()
            #if os(Linux)
                getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &usage)
            #else
                getrusage(RUSAGE_CHILDREN, &usage)
            #endif
            let files = FileManager.default.enumerator(atPath: output.path)?.allObjects.count ?? 0
            return (seconds, Int(usage.ru_maxrss) / 1024, files)
        }

        static func study(count: Int) -> Study {
            var study = Study(
                info: StudyInfo(name: "bench", seed: 1),
                parameters: (0..<5).map { Parameter(name: "T\($0)", distribution: .uniform(lower: 100, upper: 500)) },
                sampler: SamplerSpec(kind: .sobol, count: count),
                simulation: SimulationSpec(
                    command:
                        "{{study_file_dir}}/heat-pde --mesh 100 --steps {{time_steps}} {{T0}} {{T1}} {{T2}} {{T3}} {{T4}}",
                    fields: [FieldSpec(name: "temperature", size: 10_000)],
                    timeSteps: 100,
                    resources: Resources(tasks: 2, walltime: Walltime(seconds: 600))
                ),
                training: TrainingSpec(validation: ValidationSpec(simulations: 0))
            )
            study.execution.scheduler = .slurm
            study.execution.concurrency = Concurrency(min: 8, max: 64)
            study.execution.slurm = SlurmOptions(job: SlurmJobOptions(partition: "cpu"))
            return study
        }

        static func seconds(since start: DispatchTime) -> Double {
            Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        }

        static func format(_ value: Double, digits: Int = 3) -> String {
            String(format: "%.\(digits)f", value)
        }

        static func peakRSSMiB() -> Int {
            var usage = rusage()
            #if os(Linux)
                getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
            #else
                getrusage(RUSAGE_SELF, &usage)
            #endif
            return Int(usage.ru_maxrss) / 1024
        }
    }
}
