import Foundation
import Launching
import MelissaTestSupport
import PlanModel
import Planning
import StudySpec
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Studies run by the launcher's tests: the stand-in server and simulations (`MelissaLaunchStandIn`).
enum LauncherTestSupport {
    /// The built stand-in, beside the test bundle in the build directory.
    static let standIn = HostTools.product("MelissaLaunchStandIn").path

    /// Plans a local study of `count` simulations whose command is `MelissaLaunchStandIn simulation <arguments>`,
    /// served by `MelissaLaunchStandIn server`; returns the study directory.
    static func study(
        count: Int, arguments: String = "", retries: Int = 2, timeoutSeconds: Int = 60, concurrency: Int = 2,
        timeSteps: Int = 6, slurm: SlurmOptions? = nil, walltimeSeconds: Int = 600, redrawAfter: Int = 1,
        minimumConcurrency: Int = 1, capacity: Int = 10_000, watermark: Int = 1, memoryMiB: Int? = nil,
        validation: Int = 0, mode: ExecutionSpec.Mode = .online, command: String? = nil,
        adaptive: AdaptiveSamplerSpec? = nil, launcherExecutable: String? = nil, name: String = "lt",
        serverWalltimeSeconds: Int = 600, workers: WorkersSpec? = nil
    ) throws -> String {
        let root = try LaunchingTestSupport.temporaryDirectory("melissa-launcher")
        // Locally, jobs start through `mpirun -np N`: a stub that drops those words keeps the tests free of MPI.
        let stub = try LaunchingTestSupport.script("shift 2\nexec \"$@\"", in: root, name: "mpirun-stub")
        let study = Study(
            info: StudyInfo(name: name, output: "study", seed: 5),
            parameters: [Parameter(name: "x", distribution: .uniform(lower: 0, upper: 1))],
            sampler: adaptive.map { rules in
                var sampler = SamplerSpec(kind: .adaptive, count: count)
                sampler.adaptive = rules
                return sampler
            } ?? SamplerSpec(kind: .monteCarlo, count: count),
            simulation: SimulationSpec(
                command: command ?? "\(standIn) simulation \(arguments)",
                fields: [FieldSpec(name: "f", size: 16)],
                timeSteps: timeSteps,
                resources: Resources(
                    nodes: 1, tasks: 1, cpusPerTask: 1, memoryMiB: memoryMiB,
                    walltime: Walltime(seconds: walltimeSeconds)),
                timeoutSeconds: timeoutSeconds,
                retries: retries,
                redrawAfter: redrawAfter
            ),
            buffer: BufferSpec(policy: .fifo, capacity: capacity, watermark: watermark),
            training: TrainingSpec(validation: ValidationSpec(simulations: validation)),
            execution: ExecutionSpec(
                scheduler: slurm == nil ? .local : .slurm,
                concurrency: Concurrency(min: minimumConcurrency, max: concurrency),
                server: Resources(
                    nodes: 1, tasks: 1, cpusPerTask: 1, walltime: Walltime(seconds: serverWalltimeSeconds)),
                slurm: slurm, local: LocalOptions(mpirun: stub), mode: mode, workers: workers)
        )
        let directory = root.appendingPathComponent("study").path
        let plan = try Planner.plan(
            PlanInput(
                study: study, studyFileDirectory: root, studyDirectory: URL(fileURLWithPath: directory),
                melissaExecutable: standIn, launcherExecutable: launcherExecutable))
        _ = try PlanWriter(templates: TemplateSet(overridesIn: nil)).write(plan)
        return directory
    }

    /// Options that make a test study quick: fast polls and heartbeats, a short grace period.
    static func options(resume: Bool = false) -> LauncherOptions {
        LauncherOptions(
            resume: resume, pollInterval: 0.1, heartbeatInterval: 0.5, serverStartTimeout: 30, gracePeriod: 1)
    }

    /// The `id attempt` lines the stand-in simulations wrote when they finished.
    static func finishedRuns(_ directory: String) -> [String] {
        let text = (try? String(contentsOfFile: directory + "/standin-runs", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }

    /// Runs `body`, failing the test if it does not end within `seconds`.
    static func bounded<T: Sendable>(
        _ seconds: Double, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw TimedOut(seconds: seconds)
            }
            return value
        }
    }

    /// A bounded wait ran out.
    struct TimedOut: Error, CustomStringConvertible {
        var seconds: Double
        var description: String { "did not finish within \(seconds) s" }
    }
}

extension LauncherTestSupport {
    /// Kills whatever a test's study left running (a failed test must not leak processes).
    static func killLeftovers(_ directory: String) {
        guard let journal = try? Journal(studyDirectory: directory), let jobs = try? journal.liveJobs() else { return }
        for job in jobs {
            if let group = job.processGroup { ProcessGroup(id: group).signal(SIGKILL) }
        }
        // A stand-in server still running (never another process that reused its pid).
        if let address = ServerControl.address(inStudyDirectory: directory),
            let command = FileManager.default.contents(atPath: "/proc/\(address.pid)/cmdline"),
            String(decoding: command, as: UTF8.self).contains("MelissaLaunchStandIn")
        {
            kill(pid_t(address.pid), SIGKILL)
        }
    }
}
