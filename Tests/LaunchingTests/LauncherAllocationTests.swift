import Foundation
import Launching
import MelissaTestSupport
import PlanModel
import Planning
import StudySpec
import Testing

/// A study in one Slurm allocation (`execution.slurm.allocation: single`) on the real test cluster
/// (`scripts/slurm-test-cluster`): `sbatch` of the plan's allocation script runs `melissa launch` inside it, which
/// runs the stand-in server and simulations (`MelissaLaunchStandIn`) as srun steps. Heterogeneous: the server's
/// component in the default partition, the simulations' in partition `allocation` (a heterogeneous job's components
/// need distinct nodes); plain: everything in the default partition.
@Suite("One Slurm allocation", .serialized)
struct LauncherAllocationTests {
    typealias Support = LauncherTestSupport
    static let environment = LaunchingTestSupport.environment
    static let melissa = HostTools.product("melissa").path

    /// The test cluster's partition for heterogeneous components, when it has one.
    static let allocationPartition = environment["MELISSA_SLURM_ALLOCATION_PARTITION"]

    /// Slurm options of a single-allocation study.
    static func slurm(_ layout: AllocationPlan.Layout, warning: Int = 60) -> SlurmOptions {
        let server = SlurmJobOptions(
            partition: environment["MELISSA_SLURM_PARTITION"], account: environment["MELISSA_SLURM_ACCOUNT"],
            qos: environment["MELISSA_SLURM_QOS"])
        var job = server
        if layout == .heterogeneous { job.partition = allocationPartition }
        return SlurmOptions(
            job: job, server: server, launcher: .srun, signalSecondsBeforeWalltime: warning, allocation: .single,
            allocationLayout: layout == .heterogeneous ? .heterogeneous : .plain)
    }

    /// A single-allocation study of the stand-ins; the plain one runs one simulation at a time (its allocation must
    /// fit the default partition's node next to the server).
    static func study(
        _ layout: AllocationPlan.Layout, count: Int, arguments: String = "", timeoutSeconds: Int = 60,
        walltimeSeconds: Int = 600, warning: Int = 60
    ) throws -> (directory: String, plan: Plan) {
        let directory = try Support.study(
            count: count, arguments: arguments, timeoutSeconds: timeoutSeconds,
            concurrency: layout == .heterogeneous ? 2 : 1, slurm: slurm(layout, warning: warning),
            walltimeSeconds: walltimeSeconds, launcherExecutable: melissa,
            name: "la\(UUID().uuidString.prefix(6).lowercased())", serverWalltimeSeconds: walltimeSeconds)
        let plan = try PlanWriter.decode(Data(contentsOf: URL(fileURLWithPath: directory + "/plan.json")))
        return (directory, plan)
    }

    /// Submits the plan's allocation script (`sbatch` options before it, `melissa launch` options after it).
    static func submit(_ plan: Plan, sbatch options: [String] = []) async throws -> JobID {
        let script = try #require(plan.allocation).script
        let result = try await CommandRunner(timeout: 60).check(
            ["sbatch", "--parsable"] + options + [
                plan.studyDirectory + "/" + script, "--poll", "0.3", "--heartbeat",
                "0.5",
            ])
        return try #require(JobID(result.output.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    /// Waits until every component of allocation `id` is over and returns the state of its batch (component 0).
    static func waitForEnd(_ id: JobID, of plan: Plan, timeout: Double = 240) async throws -> JobState? {
        let adapter = SlurmAdapter()
        let name = try #require(plan.allocation).jobName
        var leader: JobState?
        let ended = try await LaunchingTestSupport.wait(timeout: timeout, interval: 1) {
            let statuses = try await adapter.query(
                JobQuery(names: [name], since: Date(timeIntervalSinceNow: -900), expected: [id])
            ).filter { $0.id.job == id.job }
            leader = statuses.first { $0.id.component == nil || $0.id.component == 0 }?.state
            return !statuses.isEmpty && statuses.allSatisfy { $0.state.isFinished }
        }
        #expect(ended, "allocation \(id) still runs after \(Int(timeout)) s")
        return leader
    }

    /// Runs `body` with the allocations it submits cancelled afterwards, whatever happened.
    static func withAllocations(_ body: (_ track: @escaping @Sendable (JobID) -> Void) async throws -> Void)
        async throws
    {
        let submitted = SubmittedJobs()
        do {
            try await body { submitted.add($0) }
        } catch {
            try? await SlurmAdapter().cancel(submitted.all)
            throw error
        }
        try? await SlurmAdapter().cancel(submitted.all)
    }

    /// The names of the steps allocation `id` ran, as accounting has them (`lt-sim.4`…).
    static func stepNames(of id: JobID) async throws -> [String] {
        let result = try await CommandRunner(timeout: 60).check([
            "sacct", "--parsable2", "--noheader", "--format=JobID,JobName", "--jobs=\(id)",
        ])
        return result.output.split(whereSeparator: \.isNewline).compactMap { line in
            let fields = line.split(separator: "|", omittingEmptySubsequences: false)
            return fields.count == 2 && fields[0].contains(".") ? String(fields[1]) : nil
        }
    }

    /// The layouts the cluster can run: plain always, heterogeneous with a partition of its own for the
    /// simulations' component.
    static var layouts: [AllocationPlan.Layout] {
        allocationPartition == nil ? [.plain] : [.heterogeneous, .plain]
    }

    @Test("the allocation script is accepted by sbatch (--test-only), heterogeneous and plain", .requiresSlurm)
    func theScriptIsAccepted() async throws {
        for layout in Self.layouts {
            let (_, plan) = try Self.study(layout, count: 2)
            let script = plan.studyDirectory + "/" + (try #require(plan.allocation).script)
            let text = try String(contentsOfFile: script, encoding: .utf8)
            #expect(text.contains("#SBATCH hetjob") == (layout == .heterogeneous), "\(text)")
            let result = try await CommandRunner(timeout: 60).run(["sbatch", "--test-only", script])
            #expect(result.status.isSuccess, "\(layout): \(result.error)")
            #expect(result.error.contains("to start at"), "\(result.error)")
        }
    }

    @Test(
        "a study runs in one allocation: the server and the simulations are steps; a crashing one is retried",
        .requiresSlurm, .requiresProduct("melissa"), arguments: layouts)
    func aStudyRunsInOneAllocation(layout: AllocationPlan.Layout) async throws {
        let (directory, plan) = try Self.study(layout, count: 4, arguments: "--fail 1:1 --value {{x}}")
        try await Self.withAllocations { track in
            let id = try await Self.submit(plan)
            track(id)
            let state = try await Self.waitForEnd(id, of: plan)
            #expect(state == .completed, "\(String(describing: state)); see \(plan.logsDirectory)")
            let journal = try Journal(studyDirectory: directory)
            #expect(try journal.ending() != nil, "the journal records the study's end")
            #expect(try journal.decisions(kind: Launcher.allocationKind).first?.hasPrefix("\(id.job):") == true)
            let failing = try journal.jobs(simulationID: 1)
            #expect(failing.map(\.attempt) == [0, 1])
            #expect(failing.first?.state == .failed(exitCode: 1, signal: nil), "\(failing)")
            #expect(failing.last?.state == .completed)
            #expect(
                Support.finishedRuns(directory).map { $0.split(separator: " ")[0] }.sorted() == ["0", "1", "2", "3"])
            // Every job ran as a step of the allocation, named after it.
            let jobs = try journal.allJobs()
            var names: [String] = []
            _ = try await LaunchingTestSupport.wait(timeout: 30, interval: 1) {
                names = try await Self.stepNames(of: id)
                return jobs.allSatisfy { names.contains(Self.stepName($0, plan)) }
            }
            for job in jobs { #expect(names.contains(Self.stepName(job, plan)), "\(names)") }
        }
    }

    /// The step a journal job ran as.
    static func stepName(_ job: JournalJob, _ plan: Plan) -> String {
        SrunStepAdapter.stepName(
            job: job.isServer ? plan.server.name : plan.simulationJobName, number: job.schedulerID.job)
    }

    @Test("a hung simulation step is cancelled and retried", .requiresSlurm, .requiresProduct("melissa"))
    func aHungStepIsCancelled() async throws {
        let layout = Self.layouts[0]
        // A timeout that a step starting slowly on a loaded machine stays within; only the hung one passes it.
        let (directory, plan) = try Self.study(layout, count: 2, arguments: "--hang 0:1", timeoutSeconds: 20)
        try await Self.withAllocations { track in
            let id = try await Self.submit(plan)
            track(id)
            let state = try await Self.waitForEnd(id, of: plan)
            #expect(state == .completed, "\(String(describing: state)); see \(plan.logsDirectory)")
            let journal = try Journal(studyDirectory: directory)
            let hung = try journal.jobs(simulationID: 0)
            #expect(hung.map(\.attempt) == [0, 1])
            #expect(hung.first?.state == .cancelled(by: nil), "\(hung)")
            #expect(try journal.decisions(kind: "silent").count == 1)
            #expect(Support.finishedRuns(directory).sorted() == ["0 1", "1 0"])
        }
    }

    @Test(
        "the server's step killed: the server restarts from its checkpoint inside the allocation",
        .requiresSlurm, .requiresProduct("melissa"))
    func theServerStepIsRestarted() async throws {
        let layout = Self.layouts[0]
        let (directory, plan) = try Self.study(layout, count: 6, arguments: "--step-delay 0.4")
        let allocation = try #require(plan.allocation)
        try await Self.withAllocations { track in
            let id = try await Self.submit(plan)
            track(id)
            let journal = try Journal(studyDirectory: directory)
            let started = await LaunchingTestSupport.wait(timeout: 180, interval: 0.5) {
                (try? journal.completedSimulations().count) ?? 0 >= 1
            }
            #expect(started, "no simulation completed; see \(plan.logsDirectory)")
            // The server's step, found by its name, killed the way Slurm kills steps.
            let components = try await Self.componentIDs(of: id, allocation)
            var step: String?
            _ = try await LaunchingTestSupport.wait(timeout: 30, interval: 0.5) {
                let result = try await CommandRunner(timeout: 60).check([
                    "squeue", "--steps", "--noheader", "--jobs=\(components.joined(separator: ","))",
                    "--format=\(SlurmStep.squeueFormat)",
                ])
                step = SlurmStep.parse(result.output).first { $0.name.hasPrefix(plan.server.name + ".") }?.id
                return step != nil
            }
            let serverStep = try #require(step, "the server's step is listed")
            // (scancel of a step of a heterogeneous job's first component cancels it, yet exits 225 with "Invalid job
            // id specified": it asks every component, and the others have no such step.)
            _ = try await CommandRunner(timeout: 60).run(["scancel", serverStep])
            let state = try await Self.waitForEnd(id, of: plan)
            #expect(state == .completed, "\(String(describing: state)); see \(plan.logsDirectory)")
            #expect(try journal.decisions(kind: "server-dead").count >= 1)
            let servers = try journal.jobs(simulationID: nil)
            #expect(servers.count == 2, "\(servers)")
            #expect(try journal.completedSimulations() == Set(0..<6))
            // What finished before the restart did not run again.
            let runs = Support.finishedRuns(directory).map { $0.split(separator: " ")[0] }
            #expect(runs.count == Set(runs).count, "\(runs)")
        }
    }

    /// The job ids of allocation `id`'s components (`scontrol show job`: a heterogeneous job's second component
    /// has an id of its own).
    static func componentIDs(of id: JobID, _ allocation: AllocationPlan) async throws -> [String] {
        let result = try await CommandRunner(timeout: 60).check(["scontrol", "--oneliner", "show", "job", "\(id)"])
        let ids = SlurmOutput.scontrolRecords(result.output).compactMap { $0["JobId"] }
        return ids.isEmpty ? ["\(id)"] : ids
    }

    @Test(
        "the walltime warning pauses the study (the server checkpoints); sbatch of the same script completes it",
        .requiresSlurm, .requiresProduct("melissa"))
    func theWalltimeWarningPausesAndTheNextAllocationResumes() async throws {
        let layout = Self.layouts[0]
        let (directory, plan) = try Self.study(layout, count: 8, arguments: "--step-delay 0.5")
        try await Self.withAllocations { track in
            let first = try await Self.submit(plan)
            track(first)
            let journal = try Journal(studyDirectory: directory)
            let started = await LaunchingTestSupport.wait(timeout: 180, interval: 0.5) {
                (try? journal.completedSimulations().count) ?? 0 >= 1
            }
            #expect(started, "no simulation completed; see \(plan.logsDirectory)")
            // What Slurm's --signal=B:USR1@N does before the walltime: SIGUSR1 to the batch shell alone.
            _ = try await CommandRunner(timeout: 60).check(["scancel", "--signal=USR1", "--batch", "\(first)"])
            let paused = try await Self.waitForEnd(first, of: plan)
            #expect(paused == .failed(exitCode: 5, signal: nil), "exit 5: paused; \(String(describing: paused))")
            #expect(try journal.decisions(kind: Launcher.pauseKind).count == 1)
            #expect(try journal.liveJobs().isEmpty, "every job stopped with the allocation")
            #expect(try journal.ending() == nil)
            let doneBefore = try journal.completedSimulations()
            #expect(doneBefore.count < 8, "the pause came before the end: \(doneBefore)")

            let second = try await Self.submit(plan)
            track(second)
            let state = try await Self.waitForEnd(second, of: plan)
            #expect(state == .completed, "\(String(describing: state)); see \(plan.logsDirectory)")
            #expect(try journal.ending() != nil)
            #expect(try journal.completedSimulations() == Set(0..<8))
            #expect(try journal.decisions(kind: "resume").count == 1)
            #expect(try journal.serverRestarts() == 0, "a pause is no death of the server")
            let servers = try journal.jobs(simulationID: nil)
            #expect(servers.count == 2 && servers.last?.attempt == 1, "\(servers)")
            let allocations = try journal.decisions(kind: Launcher.allocationKind)
            #expect(allocations.map { $0.prefix(while: { $0 != ":" }) } == ["\(first.job)", "\(second.job)"])
            // Simulations completed before the pause never ran again.
            let runs = Support.finishedRuns(directory).map { Int($0.split(separator: " ")[0]) ?? -1 }
            for done in doneBefore { #expect(runs.count { $0 == done } == 1, "simulation \(done): \(runs)") }
        }
    }

    @Test(
        "melissa cancel stops the launcher inside the allocation, and the allocation with it",
        .requiresSlurm, .requiresProduct("melissa"))
    func cancelStopsTheAllocation() async throws {
        let layout = Self.layouts[0]
        let (directory, plan) = try Self.study(layout, count: 8, arguments: "--step-delay 0.5")
        try await Self.withAllocations { track in
            let id = try await Self.submit(plan)
            track(id)
            let journal = try Journal(studyDirectory: directory)
            let started = await LaunchingTestSupport.wait(timeout: 180, interval: 0.5) {
                (try? journal.completedSimulations().count) ?? 0 >= 1
            }
            #expect(started, "no simulation completed; see \(plan.logsDirectory)")
            let result = try await StudyCancellation.cancel(studyDirectory: directory, wait: 60)
            #expect(result.launcherStopped, "the launcher saw the cancel file")
            let state = try await Self.waitForEnd(id, of: plan)
            #expect(state == .failed(exitCode: 3, signal: nil), "exit 3: cancelled; \(String(describing: state))")
            #expect(try journal.liveJobs().isEmpty)
            #expect(try journal.decisions(kind: "cancel").count >= 1)
        }
    }

    @Test(
        "the allocation's real walltime warning pauses the study; the same script, given more time, completes it",
        .requiresSlurm, .requiresProduct("melissa"))
    func theRealWalltimeWarningPausesTheStudy() async throws {
        let layout = Self.layouts[0]
        // A two-minute allocation warned 60 s before its end (Slurm sends it from its 30 s check, so 30–60 s in),
        // running a study that needs longer than that.
        let (directory, plan) = try Self.study(
            layout, count: 16, arguments: "--step-delay 2", walltimeSeconds: 120, warning: 60)
        try await Self.withAllocations { track in
            let first = try await Self.submit(plan)
            track(first)
            let paused = try await Self.waitForEnd(first, of: plan, timeout: 300)
            #expect(paused == .failed(exitCode: 5, signal: nil), "exit 5: paused; \(String(describing: paused))")
            let journal = try Journal(studyDirectory: directory)
            #expect(try journal.decisions(kind: Launcher.pauseKind).count == 1)
            let log = try String(
                contentsOfFile: plan.logsDirectory + "/\(try #require(plan.allocation).jobName)-\(first).err",
                encoding: .utf8)
            #expect(log.contains("the allocation ends"), "\(log)")
            let second = try await Self.submit(plan, sbatch: ["--time=15"])
            track(second)
            let state = try await Self.waitForEnd(second, of: plan, timeout: 600)
            #expect(state == .completed, "\(String(describing: state)); see \(plan.logsDirectory)")
            #expect(try journal.completedSimulations() == Set(0..<16))
        }
    }
}
