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
            print("  peak RSS             \(Self.peakRSSMiB()) MiB")
            print("  files written        \(result.files.count): \(result.files.joined(separator: ", "))")
            print("  bytes written        \(result.bytes)")
            print(
                "  plan.json            \(result.planBytes) bytes (\(result.planBytes / max(simulations, 1)) per simulation)"
            )
            try maestro()
        }

        /// Times `maestro run --dry` when maestrowf is installed; otherwise quotes DESIGN.md.
        func maestro() throws {
            let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
                .map { "\($0)/maestro" }.first { FileManager.default.isExecutableFile(atPath: $0) }
            guard path != nil else {
                print(
                    "  maestro              not on PATH; DESIGN.md: `maestro run --dry` plans 100,000 in 269 s, 1.7 GB,"
                )
                print("                       100,000 script files")
                return
            }
            print("  maestro              on PATH; timing it is left to scripts (needs a generated 1,000-sample spec)")
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
