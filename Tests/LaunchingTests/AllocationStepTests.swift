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

/// The pieces of a single-allocation study that run without Slurm: the allocation read from the batch environment,
/// `squeue --steps` output, stopping a job through its script, adopting a step's script only inside its allocation,
/// and a pause that a later launch resumes.
@Suite("single allocation, without Slurm")
struct AllocationStepTests {
    typealias Support = LauncherTestSupport

    @Test("the allocation from the batch environment: plain and heterogeneous; none outside a job")
    func allocationFromEnvironment() {
        #expect(SlurmAllocation(environment: [:]) == nil)
        let plain = SlurmAllocation(environment: ["SLURM_JOB_ID": "12"])
        #expect(plain == SlurmAllocation(jobID: "12", componentIDs: ["12"]) && plain?.isHeterogeneous == false)
        let het = SlurmAllocation(environment: [
            "SLURM_JOB_ID": "12", "SLURM_HET_SIZE": "2", "SLURM_JOB_ID_HET_GROUP_0": "12",
            "SLURM_JOB_ID_HET_GROUP_1": "13",
        ])
        #expect(het?.componentIDs == ["12", "13"] && het?.isHeterogeneous == true)
    }

    @Test("squeue --steps output: steps with their names and nodes; other lines skipped")
    func stepsAreParsed() {
        let text = "13.2|lt-sim.3|alloc2\n12.0|lt-server.1|vm\n12.batch|batch|vm\nsqueue: warning\n13.4|lt-sim.5|\n"
        #expect(
            SlurmStep.parse(text) == [
                SlurmStep(id: "13.2", name: "lt-sim.3", nodeList: "alloc2"),
                SlurmStep(id: "12.0", name: "lt-server.1", nodeList: "vm"),
                SlurmStep(id: "12.batch", name: "batch", nodeList: "vm"),
                SlurmStep(id: "13.4", name: "lt-sim.5"),
            ])
        #expect(SrunStepAdapter.stepName(job: "lt-sim", number: 3) == "lt-sim.3")
    }

    @Test("a single-allocation study launched outside an allocation, or in a job without its components, is refused")
    func outsideTheAllocation() throws {
        var slurm = SlurmOptions(
            job: SlurmJobOptions(partition: "a"), server: SlurmJobOptions(partition: "b"), allocation: .single)
        let directory = try Support.study(count: 1, slurm: slurm)
        let plan = try PlanWriter.decode(Data(contentsOf: URL(fileURLWithPath: directory + "/plan.json")))
        #expect(plan.allocation?.layout == .heterogeneous)
        #expect(
            SchedulerAdapterFactory.allocationProblem(of: plan, environment: [:])
                == "melissa launch runs outside a Slurm job (no SLURM_JOB_ID)")
        let problem = SchedulerAdapterFactory.allocationProblem(of: plan, environment: ["SLURM_JOB_ID": "5"])
        #expect(problem?.contains("is not the heterogeneous job of its plan") == true, "\(problem ?? "")")
        #expect(
            SchedulerAdapterFactory.allocationProblem(
                of: plan,
                environment: [
                    "SLURM_JOB_ID": "5", "SLURM_HET_SIZE": "2", "SLURM_JOB_ID_HET_GROUP_0": "5",
                    "SLURM_JOB_ID_HET_GROUP_1": "6",
                ]) == nil)
        if ProcessInfo.processInfo.environment["SLURM_JOB_ID"] == nil {
            #expect {
                _ = try Launcher(studyDirectory: directory, options: Support.options())
            } throws: { error in
                guard case LauncherError.needsAllocation(let script, _) = error else { return false }
                return script == directory + "/scripts/lt-allocation.sbatch"
                    && "\(error)".contains("`sbatch \(script)` submits it")
            }
        }
        slurm.allocationLayout = .plain
        let plainDirectory = try Support.study(count: 1, slurm: slurm)
        let plainPlan = try PlanWriter.decode(Data(contentsOf: URL(fileURLWithPath: plainDirectory + "/plan.json")))
        #expect(SchedulerAdapterFactory.allocationProblem(of: plainPlan, environment: ["SLURM_JOB_ID": "5"]) == nil)
    }

    @Test("stopping through the script first: SIGTERM reaches the script alone, then SIGKILL the group")
    func scriptFirst() async throws {
        let directory = try LaunchingTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // The script and its background child each note a SIGTERM they get.
        let body = """
            cd \(directory.path)
            bash -c 'trap "echo child >> got-term" TERM; while :; do sleep 0.1; done' &
            trap 'echo script >> got-term' TERM
            while :; do sleep 0.1; done
            """
        let script = try LaunchingTestSupport.script(body, in: directory, name: "job.sh")
        for scriptFirst in [true, false] {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent("got-term"))
            let group = try ProcessGroup.spawn(
                executable: script, arguments: [], environment: ProcessInfo.processInfo.environment
            ) { _ in }
            try await Task.sleep(for: .milliseconds(500))
            await group.terminate(grace: 1, leaderFirst: scriptFirst)
            #expect(!group.isAlive)
            let got = (try? String(contentsOf: directory.appendingPathComponent("got-term"), encoding: .utf8)) ?? ""
            let noted = Set(got.split(separator: "\n").map(String.init))
            #expect(noted == (scriptFirst ? ["script"] : ["script", "child"]), "\(got)")
        }
    }

    @Test("a step's script is adopted only inside its own allocation, as the job it was")
    func adoptionInsideTheAllocation() async throws {
        let directory = try LaunchingTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = try LaunchingTestSupport.script("sleep 30", in: directory, name: "step.sh")
        var local = LocalAdapterOptions(concurrency: 2, gracePeriod: 1, firstJobNumber: 7)
        local.environment = ["SLURM_JOB_ID": "777"]
        let adapter = SrunStepAdapter(allocation: SlurmAllocation(jobID: "777"), options: .init(local: local))
        let id = try await adapter.submit(SubmissionRequest(role: .simulation(0), name: "lt-sim", script: script))
        let group = try #require(await adapter.processGroup(of: id))
        defer { group.signal(SIGKILL) }
        func job(_ number: Int) -> JournalJob {
            JournalJob(
                rowID: 1, schedulerID: JobID(job: number), simulationID: 0, attempt: 0, state: .running, word: nil,
                nodeList: nil, submittedAt: Date(), updatedAt: Date(), processGroup: group.id)
        }
        // Once the script runs (its environment readable):
        let started = await LaunchingTestSupport.wait(timeout: 10) { group.leaderEnvironment("SLURM_JOB_ID") != nil }
        #expect(started)
        #expect(adapter.adoption(of: job(7)) == .processGroup(group))
        #expect(adapter.adoption(of: job(8)) == .processGroup(nil), "another job's number")
        let next = SrunStepAdapter(allocation: SlurmAllocation(jobID: "778"))
        #expect(next.adoption(of: job(7)) == .processGroup(nil), "an earlier allocation's job")
        try await adapter.cancel([id])
        let ended = await LaunchingTestSupport.wait(timeout: 20) {
            (try? await adapter.query(JobQuery(names: [], since: Date(), expected: [id])))?.first?.state
                == .cancelled(by: nil)
        }
        #expect(ended)
    }

    @Test("a simulation stopped by a pause after it delivered everything is done, not run again, on the resume")
    func deliveredBeforeThePause() async throws {
        let directory = try Support.study(count: 3, arguments: "--linger 0:60", concurrency: 1)
        defer { Support.killLeftovers(directory) }
        let first = try Launcher(studyDirectory: directory, options: Support.options())
        let task = Task { try await first.run() }
        // Simulation 0 has sent its last step (the server has it finished) but its process has not exited.
        let delivered = await LaunchingTestSupport.wait(timeout: 40) {
            Support.finishedRuns(directory).contains("0 0")
        }
        #expect(delivered)
        await first.requestPause()
        #expect(try await Support.bounded(60) { try await task.value } == .paused)
        #expect(try !first.journal.completedSimulations().contains(0), "its job was stopped before it exited")

        let second = try Launcher(studyDirectory: directory, options: Support.options(resume: true))
        #expect(try await Support.bounded(60) { try await second.run() } == .completed(done: 3, givenUp: 0))
        #expect(try second.journal.decisions(kind: "delivered").count == 1)
        #expect(try second.journal.retriesSpent().isEmpty)
        #expect(Support.finishedRuns(directory).filter { $0.hasPrefix("0 ") } == ["0 0"], "never run again")
        #expect(try second.journal.completedSimulations() == [0, 1, 2])
    }

    @Test("a paused study stops every job with the server checkpointed; a later launch completes it")
    func pauseAndResume() async throws {
        let directory = try Support.study(count: 4, arguments: "--step-delay 0.25", concurrency: 2)
        defer { Support.killLeftovers(directory) }
        let first = try Launcher(studyDirectory: directory, options: Support.options())
        let task = Task { try await first.run() }
        let progressed = try await LaunchingTestSupport.wait(timeout: 40) {
            try first.journal.completedSimulations().count >= 1
        }
        #expect(progressed)
        await first.requestPause()
        #expect(try await Support.bounded(180) { try await task.value } == .paused)
        #expect(try first.journal.liveJobs().isEmpty, "every job stopped")
        let pause = try first.journal.decisions(kind: Launcher.pauseKind)
        #expect(pause.count == 1 && pause[0].contains("resumable: melissa launch \(directory) --resume"))
        let done = try first.journal.completedSimulations()

        let second = try Launcher(studyDirectory: directory, options: Support.options(resume: true))
        #expect(try await Support.bounded(180) { try await second.run() } == .completed(done: 4, givenUp: 0))
        #expect(try second.journal.serverRestarts() == 0, "a pause is no death of the server")
        // The paused launch's server, then the resumed launch's (more only if a loaded machine made one miss its
        // heartbeats: that is the heartbeat's matter, not the pause's).
        let servers = try second.journal.jobs(simulationID: nil)
        #expect(
            servers.count >= 2 && servers.first?.state.isFinished == true && servers.last?.state == .completed,
            "\(servers.map { "\($0.schedulerID): \($0.state)" })")
        let runs = Support.finishedRuns(directory).map { Int($0.split(separator: " ")[0]) ?? -1 }
        for simulation in done { #expect(runs.count { $0 == simulation } == 1, "\(runs)") }
    }
}
