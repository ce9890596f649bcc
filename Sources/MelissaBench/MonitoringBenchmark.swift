import ArgumentParser
import Foundation
import Launching
import PlanModel
import Planning
import StudySpec
import WireProtocol

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension MelissaBench {
    /// `melissa-bench monitoring`: the real launcher watching many jobs through a scripted scheduler (in memory, every
    /// job running, none changing) and a scripted server: the CPU it uses between events, and the scheduler queries
    /// per poll, against the CPU a process sleeping as long uses.
    struct MonitoringBenchmark: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "monitoring",
            abstract: "The launcher watching many running jobs: CPU between events, scheduler queries per poll."
        )

        @Option(help: "Jobs (simulations) in flight.")
        var jobs = 10_000

        @Option(help: "Seconds between polls (the launcher's --poll; the default of melissa launch is 2).")
        var poll = 2.0

        @Option(help: "Seconds measured once every job runs.")
        var seconds = 20.0

        func run() throws {
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("melissa-bench-monitoring-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            var study = PlanningBenchmark.study(count: jobs)
            study.execution.scheduler = .local
            study.execution.slurm = nil
            study.execution.concurrency = Concurrency(min: jobs, max: jobs)
            let plan = try Planner.plan(
                PlanInput(
                    study: study, studyFileDirectory: FileManager.default.temporaryDirectory,
                    studyDirectory: directory.appendingPathComponent("study"),
                    melissaExecutable: "/usr/local/bin/melissa"))
            _ = try PlanWriter(templates: try TemplateSet()).write(plan)
            let adapter = SteadyAdapter()
            let polls = PollCounter()
            let jobs = self.jobs
            let launcher = try Launcher(
                plan: plan, journal: Journal(studyDirectory: plan.studyDirectory), adapter: adapter,
                server: SteadyServer(simulations: jobs),
                options: LauncherOptions(pollInterval: poll, heartbeatInterval: poll, serverStartTimeout: 60),
                report: { report in if case .progress = report { polls.add() } })
            let measured = MeasurementBox()
            let done = DispatchSemaphore(value: 0)
            let seconds = self.seconds
            let run = Task { try await launcher.run() }
            Task {
                defer { done.signal() }
                // Every simulation submitted and seen running, then one more poll: from then on nothing changes.
                let setupStart = Date()
                while await adapter.submitted < jobs + 1 || polls.count < 3 {
                    try? await Task.sleep(for: .milliseconds(50))
                    if Date().timeIntervalSince(setupStart) > 600 { break }
                }
                measured.value.setupSeconds = Date().timeIntervalSince(setupStart)
                let (queries0, asked0) = await adapter.counts
                let polls0 = polls.count
                let cpu0 = Self.cpuSeconds()
                let wall0 = Date()
                try? await Task.sleep(for: .seconds(seconds))
                measured.value.cpu = Self.cpuSeconds() - cpu0
                measured.value.wall = Date().timeIntervalSince(wall0)
                let (queries1, asked1) = await adapter.counts
                measured.value.polls = polls.count - polls0
                measured.value.queries = queries1 - queries0
                measured.value.asked = asked1 - asked0
                run.cancel()
                _ = try? await run.value
            }
            done.wait()
            // Baseline: a process that only sleeps as long (what an idle launcher could cost at best).
            let idle0 = Self.cpuSeconds()
            Thread.sleep(forTimeInterval: min(seconds, 5))
            let idle = (Self.cpuSeconds() - idle0) / min(seconds, 5)
            let m = measured.value
            let fraction = m.cpu / max(m.wall, 1e-9)
            print("monitoring \(jobs) running jobs (scripted scheduler and server), poll every \(poll) s")
            print(
                "  set-up               \(PlanningBenchmark.format(m.setupSeconds)) s to submit every job and see it run"
            )
            print(
                "  between events       \(PlanningBenchmark.format(fraction * 100, digits: 2)) % of a core "
                    + "(\(PlanningBenchmark.format(m.cpu)) s CPU in \(PlanningBenchmark.format(m.wall)) s)")
            print(
                "  per poll             \(PlanningBenchmark.format(m.cpu / Double(max(m.polls, 1)) * 1000, digits: 1)) ms CPU; "
                    + "\(m.polls) polls, \(m.queries) scheduler queries "
                    + "(\(PlanningBenchmark.format(Double(m.queries) / Double(max(m.polls, 1)), digits: 2)) per poll), "
                    + "\(m.asked / max(m.queries, 1)) jobs asked per query")
            print("  baseline             \(PlanningBenchmark.format(idle * 100, digits: 2)) % of a core sleeping")
        }

        final class MeasurementBox: @unchecked Sendable {
            var value = Measurement()
        }

        struct Measurement {
            var setupSeconds = 0.0
            var cpu = 0.0
            var wall = 0.0
            var polls = 0
            var queries = 0
            var asked = 0
        }

        /// This process's CPU time (user + system), in seconds.
        static func cpuSeconds() -> Double {
            var usage = rusage()
            #if os(Linux)
                getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
            #else
                getrusage(RUSAGE_SELF, &usage)
            #endif
            func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
            return seconds(usage.ru_utime) + seconds(usage.ru_stime)
        }
    }
}

/// Counts the launcher's polls (one progress report after each).
final class PollCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var polls = 0

    func add() { lock.withLock { polls += 1 } }
    var count: Int { lock.withLock { polls } }
}

/// A scheduler in memory whose every job runs from its first poll on and never ends; it counts its queries and the
/// jobs each asks about.
actor SteadyAdapter: SchedulerAdapter {
    private var next = 1
    private var running: Set<JobID> = []
    private(set) var submitted = 0
    private var queries = 0
    private var asked = 0

    nonisolated let windowThrottle = WindowThrottle.adapterWide

    /// Queries so far, and the jobs they asked about.
    var counts: (queries: Int, asked: Int) { (queries, asked) }

    func submit(_ request: SubmissionRequest) async throws -> JobID {
        let id = JobID(job: next)
        next += 1
        submitted += 1
        running.insert(id)
        return id
    }

    func query(_ query: JobQuery) async throws -> [JobStatus] {
        queries += 1
        asked += query.expected.count
        return query.expected.map { id in
            running.contains(id)
                ? JobStatus(id: id, state: .running, word: "RUNNING", nodeList: "node1")
                : JobStatus(id: id, state: .vanished, word: "vanished")
        }
    }

    func cancel(_ jobs: [JobID]) async throws {
        for job in jobs { running.remove(job) }
    }

    func updateThrottle(of job: JobID, to limit: Int) async throws {}

    nonisolated func submitsArrays(_ plan: Plan) -> Bool { false }

    nonisolated func simulationRequest(_ id: Int, of plan: Plan, attempt: Int) -> SubmissionRequest {
        .localSimulation(id, of: plan, attempt: attempt)
    }

    nonisolated func adoption(of job: JournalJob) -> JobAdoption { .scheduler(array: nil) }

    func processGroup(of job: JobID) async -> ProcessGroup? { nil }
}

/// A training server that listens from the start and answers every ping at once, every simulation running.
struct SteadyServer: ServerStatusSource {
    let simulations: Int

    static let address = ServerAddress(
        pid: 1, host: "bench", registration: "tcp://127.0.0.1:1", control: "tcp://127.0.0.1:2", data: [])

    func serverAddress(inStudyDirectory directory: String) -> ServerAddress? { Self.address }

    func ping(_ address: ServerAddress, timeout: Double) async throws -> ServerStatus {
        ServerStatus(batches: 1, samples: 1, running: Array(0..<simulations))
    }

    func giveUp(_ id: Int, at address: ServerAddress, timeout: Double) async throws -> ServerStatus {
        ServerStatus()
    }
}
