import Foundation
import Launching
import Testing

@Suite struct JobModelTests {
    @Test func parsesSlurmJobIDs() throws {
        #expect(JobID("123") == JobID(job: 123))
        #expect(JobID("123;melissa-test") == JobID(job: 123))
        #expect(JobID(" 42\n") == JobID(job: 42))
        #expect(JobID("123_4") == JobID(job: 123, arrayTask: 4))
        #expect(JobID("123+1") == JobID(job: 123, component: 1))
        let pending = try #require(JobID("123_[1-5%2]"))
        #expect(pending.job == 123)
        #expect(pending.arrayTasks?.indices == [1, 2, 3, 4, 5])
        #expect(pending.arrayTasks?.throttle == 2)
        #expect(pending.description == "123_[1-5%2]")
        #expect(pending.expanded == (1...5).map { JobID(job: 123, arrayTask: $0) })
        #expect(JobID("7_[0,3,8-9]")?.expanded.map(\.description) == ["7_0", "7_3", "7_8", "7_9"])
        #expect(JobID("7_[1-7:3]")?.arrayTasks?.indices == [1, 4, 7])
        for bad in ["", "abc", "12_", "12_[3-1]", "12+x", "12_[1-5", "1.5"] {
            #expect(JobID(bad) == nil, "\(bad)")
        }
        #expect(["123_4", "123+1", "9"].compactMap { JobID($0) }.map(\.description) == ["123_4", "123+1", "9"])
        #expect(JobID(job: 9) < JobID(job: 10, arrayTask: 0))
    }

    @Test("a worker's run is `<worker job>:<n>`: parsed, printed, ordered, and tied to its worker's job")
    func parsesWorkerRuns() throws {
        let run = try #require(JobID("123:4"))
        #expect(run == JobID(job: 123, run: 4))
        #expect(run.description == "123:4")
        #expect(run.worker == JobID(job: 123))
        #expect(JobID(job: 123).run(4) == run)
        #expect(JobID(job: 123).worker == nil)
        #expect(JobID("123_2:7") == JobID(job: 123, arrayTask: 2, run: 7))
        #expect(JobID("123_2:7")?.worker?.description == "123_2")
        #expect(JobID("12:1") ?? JobID(job: 0) < JobID("12:2") ?? JobID(job: 0))
        #expect(JobID(job: 12) < JobID(job: 12, run: 1))
        for bad in ["12:", ":3", "12:x", "12:3:4", "12_[1-3]:2", "12:-1"] {
            #expect(JobID(bad) == nil, "\(bad)")
        }
        let ids = ["123:4", "5_6:7"].compactMap { JobID($0) }
        #expect(try JSONDecoder().decode([JobID].self, from: JSONEncoder().encode(ids)) == ids)
    }

    @Test func jobIDsAndStatesRoundTripThroughJSON() throws {
        let ids = ["123", "123_4", "123_[1-5%2]", "123+1"].compactMap { JobID($0) }
        let data = try JSONEncoder().encode(ids)
        #expect(try JSONDecoder().decode([JobID].self, from: data) == ids)
        let states: [JobState] = [
            .pending, .running, .suspended, .completed, .failed(exitCode: 1, signal: nil),
            .failed(exitCode: 0, signal: 9), .timedOut, .cancelled(by: 0), .cancelled(by: nil), .nodeFailure,
            .bootFailure, .outOfMemory, .preempted, .requeued, .deadline, .vanished, .unknown("WEIRD:WORD"),
        ]
        for state in states {
            #expect(JobState(code: state.code) == state, "\(state.code)")
        }
        #expect(try JSONDecoder().decode([JobState].self, from: JSONEncoder().encode(states)) == states)
        #expect(JobState(code: "nonsense") == nil)
        #expect(JobState(code: "failed:x") == nil)
    }

    @Test func statesSayWhetherTheyAreOverOrLive() {
        #expect(JobState.running.isLive && !JobState.running.isFinished)
        #expect(JobState.requeued.isLive && !JobState.requeued.isFinished)
        #expect(JobState.preempted.isFinished && !JobState.preempted.isLive)
        #expect(!JobState.vanished.isFinished && !JobState.vanished.isLive)
        for state: JobState in [.completed, .failed(exitCode: 1, signal: nil), .timedOut, .cancelled(by: 0)] {
            #expect(state.isFinished && !state.isLive)
        }
    }

    @Test func decodesExitStatuses() {
        #expect(ExitStatus(slurm: "1:0") == ExitStatus(code: 1))
        #expect(ExitStatus(slurm: "0:9") == ExitStatus(code: 0, signal: 9))
        #expect(ExitStatus(slurm: "N/A") == nil)
        #expect(ExitStatus(waitStatus: 768) == ExitStatus(code: 3))
        #expect(ExitStatus(waitStatus: 9) == ExitStatus(code: 0, signal: 9))
        #expect(ExitStatus(waitStatus: 0).isSuccess)
    }

    @Test func requestsAreBuiltFromTheirRole() {
        let chunk = SubmissionRequest(
            role: .simulations(.init(first: 10, count: 3)), name: "s-sim", script: "/s/x.sbatch", attempt: 2,
            array: .init(first: 10, count: 3), throttle: 2)
        #expect(chunk.jobs(submittedAs: JobID(job: 5)).map(\.description) == ["5_0", "5_1", "5_2"])
        #expect(chunk.role.simulationID(task: 2) == 12)
        #expect(chunk.jobEnvironment == ["MELISSA_ATTEMPT": "2", "MELISSA_ARRAY_OFFSET": "10"])
        #expect(JobRole.server.simulationID(task: nil) == nil)
        #expect(JobRole.simulation(4).simulationID(task: 0) == 4)
    }
}
