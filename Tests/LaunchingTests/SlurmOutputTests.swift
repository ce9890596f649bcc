import Foundation
import Launching
import PlanModel
import Planning
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Parsing of captured and written `sacct`, `squeue` and `scontrol` output, and the commands the adapter builds.
@Suite struct SlurmOutputTests {
    @Test func mapsEveryStateWord() throws {
        let statuses = SlurmOutput.sacct(try LaunchingTestSupport.fixture("sacct-states.txt"))
        let states = Dictionary(uniqueKeysWithValues: statuses.map { ($0.id.job, $0.state) })
        let expected: [Int: JobState] = [
            101: .pending, 102: .running, 103: .completed, 104: .failed(exitCode: 1, signal: nil), 105: .timedOut,
            106: .cancelled(by: 0), 107: .cancelled(by: nil), 108: .nodeFailure, 109: .bootFailure,
            110: .outOfMemory, 111: .preempted, 112: .requeued, 113: .deadline, 114: .suspended, 115: .running,
            116: .pending, 117: .requeued, 118: .failed(exitCode: 3, signal: nil), 119: .cancelled(by: nil),
            120: .pending, 121: .suspended, 122: .running, 123: .running, 124: .running, 125: .requeued,
            126: .cancelled(by: 1234), 127: .failed(exitCode: 0, signal: 9), 128: .bootFailure,
            129: .unknown("SOMETHING_NEW"),
        ]
        #expect(states == expected)
        let failed = try #require(statuses.first { $0.id.job == 104 })
        #expect(failed.word == "FAILED")
        #expect(failed.exitStatus == ExitStatus(code: 1))
        #expect(failed.nodeList == "node[01-02]")
        #expect(failed.reason == "NonZeroExitCode")
        #expect(statuses.first { $0.id.job == 101 }?.nodeList == nil)
        #expect(statuses.first { $0.id.job == 106 }?.word == "CANCELLED by 0")
    }

    @Test func mapsShortCodesAndOddSpellings() {
        #expect(SlurmState.neutral(word: "PD") == .pending)
        #expect(SlurmState.neutral(word: "CA") == .cancelled(by: nil))
        #expect(SlurmState.neutral(word: "OOM") == .outOfMemory)
        #expect(SlurmState.neutral(word: "NF") == .nodeFailure)
        #expect(SlurmState.neutral(word: "cancelled by 42") == .cancelled(by: 42))
        #expect(SlurmState.neutral(word: "COMPLETED", exit: ExitStatus(code: 2)) == .failed(exitCode: 2, signal: nil))
        #expect(SlurmState.neutral(word: "FAILED") == .failed(exitCode: -1, signal: nil))
        // Ended by the walltime warning (SIGUSR1, 10): the batch file stopped at its walltime.
        #expect(SlurmState.neutral(word: "FAILED", exit: ExitStatus(code: 0, signal: 10)) == .timedOut)
        #expect(SlurmState.neutral(word: "F", exit: ExitStatus(waitStatus: 10)) == .timedOut)
        #expect(SlurmState.neutral(word: "FAILED", exit: ExitStatus(code: 10)) == .failed(exitCode: 10, signal: nil))
        #expect(SlurmState.neutral(word: "") == .unknown(""))
    }

    @Test func parsesArrayAndHeterogeneousRecords() throws {
        let statuses = SlurmOutput.sacct(try LaunchingTestSupport.fixture("sacct-arrays-het.txt"))
        #expect(statuses.count == 7)
        #expect(statuses[0].id.arrayTasks?.indices == [3, 4, 5, 6, 7])
        let expanded = statuses.flatMap(\.expanded)
        #expect(expanded.count == 13)
        #expect(
            expanded.filter { $0.id.job == 200 }.map(\.id.description).sorted()
                == ["200_0", "200_1", "200_2", "200_3", "200_4", "200_5", "200_6", "200_7"])
        #expect(expanded.first { $0.id == JobID(job: 200, arrayTask: 6) }?.state == .pending)
        #expect(expanded.first { $0.id == JobID(job: 200, arrayTask: 2) }?.state == .failed(exitCode: 2, signal: nil))
        #expect(statuses.first { $0.id == JobID(job: 300, component: 1) }?.nodeList == "gpu01")
        #expect(expanded.filter { $0.id.job == 400 }.map(\.id.arrayTask) == [1, 4, 5])
    }

    @Test func parsesCapturedSacct() throws {
        let statuses = SlurmOutput.sacct(try LaunchingTestSupport.fixture("sacct-captured.txt"))
        #expect(statuses.count == 10)
        #expect(statuses[0].state == .completed)
        #expect(statuses[1].state == .failed(exitCode: 3, signal: nil))
        #expect(statuses[2].state == .cancelled(by: 0))
        #expect(statuses[3].state == .failed(exitCode: 0, signal: 9))
        // The last task of an array keeps the array's raw id (4), but its JobID column says 4_5.
        #expect(statuses.last?.id == JobID(job: 4, arrayTask: 5))
    }

    @Test func parsesCapturedFaults() throws {
        // Captured on the test cluster: OOM in the batch step, OOM in an srun step (the job says FAILED 1:0), a node
        // set DOWN under a --no-requeue job, a batch file that ended itself with the walltime warning's SIGUSR1.
        let statuses = SlurmOutput.sacct(try LaunchingTestSupport.fixture("sacct-faults-captured.txt"))
        #expect(statuses.map(\.state) == [.outOfMemory, .failed(exitCode: 1, signal: nil), .nodeFailure, .timedOut])
        #expect(statuses[2].nodeList == "fault1")
        #expect(statuses[3].word == "FAILED")
        #expect(statuses[3].exitStatus == ExitStatus(code: 0, signal: 10))
        let steps = SlurmOutput.outOfMemorySteps(try LaunchingTestSupport.fixture("sacct-steps-captured.txt"))
        #expect(steps == [JobID(job: 6): "batch", JobID(job: 7): "0", JobID(job: 9): "batch"])
        let arraySteps = SlurmOutput.outOfMemorySteps("12_3.0|OUT_OF_MEMORY\n12_4.0|COMPLETED\n")
        #expect(arraySteps == [JobID(job: 12, arrayTask: 3): "0"])
    }

    @Test func emptyOutputAndTheDisabledMessage() throws {
        #expect(SlurmOutput.sacct("").isEmpty)
        #expect(SlurmOutput.sacct("\n\n").isEmpty)
        #expect(SlurmOutput.squeue("").isEmpty)
        let disabled = try LaunchingTestSupport.fixture("sacct-disabled.txt")
        #expect(SlurmOutput.accountingDisabled(disabled))
        #expect(SlurmOutput.sacct(disabled).isEmpty)
        #expect(!SlurmOutput.accountingDisabled("1|1|COMPLETED|0:0|vm|None\n"))
    }

    @Test func parsesSqueue() throws {
        let statuses = SlurmOutput.squeue(try LaunchingTestSupport.fixture("squeue-states.txt"))
        let states = statuses.map(\.state)
        #expect(
            states == [
                .running, .completed, .failed(exitCode: 3, signal: nil), .cancelled(by: nil),
                .failed(exitCode: 0, signal: 9), .timedOut, .outOfMemory, .nodeFailure, .pending,
            ])
        #expect(statuses[0].name == "heat-server")
        #expect(statuses[2].exitStatus == ExitStatus(code: 3))
        #expect(statuses[8].nodeList == nil)
        #expect(statuses[8].reason == "Resources")

        let captured = SlurmOutput.squeue(try LaunchingTestSupport.fixture("squeue-captured.txt"))
        #expect(captured.map(\.id.description) == ["12_1", "12_2", "12_3", "12_4", "12_5", "12_0"])
        #expect(captured.last?.state == .running)
        let unexpanded = SlurmOutput.squeue(try LaunchingTestSupport.fixture("squeue-unexpanded-captured.txt"))
        #expect(unexpanded.first?.id.description == "12_[1-5%1]")
        #expect(unexpanded.flatMap(\.expanded).count == 6)
    }

    @Test func parsesScontrol() throws {
        let records = SlurmOutput.scontrolRecords(try LaunchingTestSupport.fixture("scontrol-array-captured.txt"))
        #expect(records.count >= 2)
        #expect(records[0]["ArrayTaskThrottle"] == "1")
        let status = try #require(SlurmOutput.scontrolStatus(records[0]))
        #expect(status.id.description == "12_[1-5%1]")
        #expect(status.state == .pending)
        #expect(status.name == "lfx-arr2")
        let failed = SlurmOutput.scontrolStatus([
            "JobId": "9", "JobState": "FAILED", "ExitCode": "1:0", "NodeList": "vm", "JobName": "x",
        ])
        #expect(failed?.state == .failed(exitCode: 1, signal: nil))
        let het = SlurmOutput.scontrolStatus([
            "JobId": "31", "HetJobId": "30", "HetJobOffset": "1", "JobState": "RUNNING",
        ])
        #expect(het?.id == JobID(job: 30, component: 1))
    }

    @Test func buildsTheCommands() throws {
        let adapter = SlurmAdapter()
        var request = SubmissionRequest(
            role: .simulations(ArrayChunk(first: 1000, count: 10)), name: "heat-sim", script: "/s/simulations.sbatch",
            attempt: 1, environment: ["EXTRA": "x"], array: ArrayChunk(first: 1000, count: 10), throttle: 4,
            dependency: "afterok:12", excludedNodes: ["node07", "node09"], memoryMiB: 4096, timeLimitSeconds: 90,
            workingDirectory: "/s")
        #expect(
            try adapter.submitCommand(request) == [
                "sbatch", "--parsable", "--job-name=heat-sim", "--array=0-9%4",
                "--export=ALL,EXTRA=x,MELISSA_ARRAY_OFFSET=1000,MELISSA_ATTEMPT=1", "--dependency=afterok:12",
                "--exclude=node07,node09", "--mem=4096M", "--time=2", "--chdir=/s", "/s/simulations.sbatch",
            ])
        request.environment = ["BAD": "a,b"]
        #expect(throws: LaunchingError.self) { try adapter.submitCommand(request) }

        let query = JobQuery(names: ["heat-server", "heat-sim"], since: Date(timeIntervalSince1970: 0))
        let sacct = adapter.sacctCommand(query)
        #expect(sacct.prefix(5) == ["sacct", "-X", "--parsable2", "--noheader", "--format=\(SlurmOutput.sacctFormat)"])
        #expect(sacct.contains("--name=heat-server,heat-sim"))
        #expect(sacct.last?.hasPrefix("--starttime=19") == true)
        #expect(adapter.squeueCommand(query).contains("--states=all"))
    }

    /// An adapter whose Slurm commands are the bash scripts `bodies` (name to body), run in `directory`.
    ///
    /// Each script is written through a close-on-exec descriptor: a process another test starts meanwhile must not
    /// keep it open for writing, or running it would fail with ETXTBSY.
    static func fakeSlurm(_ bodies: [String: String], in directory: URL) throws -> SlurmAdapter {
        for (name, body) in bodies {
            let path = directory.appendingPathComponent(name).path
            let text = Array("#!/bin/bash\ncd \(directory.path)\n\(body)\n".utf8)
            let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
            try #require(descriptor >= 0, "cannot create \(path)")
            let written = text.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            close(descriptor)
            try #require(written == text.count, "cannot write \(path)")
        }
        let path = directory.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        return SlurmAdapter(options: SlurmAdapterOptions(environment: ["PATH": path]))
    }

    @Test func aFailedJobOneOfWhoseStepsRanOutOfMemoryIsOutOfMemory() async throws {
        let directory = try LaunchingTestSupport.temporaryDirectory("melissa-fake-sacct")
        defer { try? FileManager.default.removeItem(at: directory) }
        // Jobs 7 and 8 ended long ago, 9 just now (its end stamped a minute ahead, so that a loaded machine's slow
        // query cannot make it old). The first time, accounting still has step 7.0 running (srun
        // returned before its step was recorded as over); then it has it out of memory.
        let sacct = #"""
            case "$*" in
                *--jobs=*)
                    if [ -e steps-calls ]; then step=OUT_OF_MEMORY; else step=RUNNING; fi
                    echo "$*" >>steps-calls
                    old=2020-01-01T00:00:00
                    now=$(date -d '+60 seconds' +%Y-%m-%dT%H:%M:%S)
                    printf '7|FAILED|%s\n7.batch|FAILED|%s\n7.0|%s|%s\n' $old $old "$step" $old
                    printf '8|FAILED|%s\n8.0|FAILED|%s\n9|FAILED|%s\n9.batch|FAILED|%s\n' $old $old "$now" "$now"
                    ;;
                -X*)
                    printf '6|6|FAILED|2:0|vm|None\n7|7|FAILED|1:0|vm|None\n8|8|FAILED|1:0|vm|None\n'
                    printf '9|9|FAILED|1:0|vm|None\n'
                    ;;
            esac
            """#
        let adapter = try Self.fakeSlurm(["sacct": sacct], in: directory)
        let query = JobQuery(names: ["x"], since: Date(), expected: [7, 8, 9].map { JobID(job: $0) })
        var statuses = Dictionary(uniqueKeysWithValues: try await adapter.query(query).map { ($0.id.job, $0) })
        #expect(statuses[7]?.state == .running)
        #expect(statuses[7]?.word == "FAILED (its steps' accounting is awaited)")
        #expect(statuses[8]?.state == .failed(exitCode: 1, signal: nil))
        #expect(statuses[9]?.state == .running, "ended less than \(SlurmAdapter.stepSettleSeconds) s ago")
        // Job 6 is not tracked any more: its steps are not looked up.
        #expect(statuses[6]?.state == .failed(exitCode: 2, signal: nil))
        statuses = Dictionary(uniqueKeysWithValues: try await adapter.query(query).map { ($0.id.job, $0) })
        #expect(statuses[7]?.state == .outOfMemory)
        #expect(statuses[7]?.word == "FAILED (step 0: OUT_OF_MEMORY)")
        #expect(statuses[8]?.state == .failed(exitCode: 1, signal: nil))
        let calls = try String(contentsOf: directory.appendingPathComponent("steps-calls"), encoding: .utf8)
        #expect(calls.split(separator: "\n").allSatisfy { $0.hasSuffix("--jobs=7,8,9") }, "\(calls)")
        #expect(SlurmOutput.unsettledSteps("7|FAILED\n7.0|RUNNING\n8|FAILED\n8.0|FAILED\n") == [JobID(job: 7)])
        #expect(SlurmOutput.endTimes("7|FAILED|Unknown\n8|FAILED|2020-01-01T00:00:00\n8.0|FAILED|x\n").count == 1)
    }

    @Test func aNodeFailureSlurmRequeuedIsFollowedUnderItsID() async throws {
        let directory = try LaunchingTestSupport.temporaryDirectory("melissa-fake-requeue")
        defer { try? FileManager.default.removeItem(at: directory) }
        // sacct has recorded how the runs of 9 and 10 ended; slurmctld has already put 9 back in the queue.
        let sacct = #"printf '9|9|NODE_FAIL|0:0|n1|None\n10|10|NODE_FAIL|0:0|n1|None\n'"#
        let squeue = #"printf '9|N/A|N/A|x|PENDING|BeginTime||0|\n10|N/A|N/A|x|NODE_FAIL|NodeDown|n1|0|\n'"#
        let adapter = try Self.fakeSlurm(["sacct": sacct, "squeue": squeue], in: directory)
        let query = JobQuery(names: ["x"], since: Date(), expected: [JobID(job: 9), JobID(job: 10)])
        let statuses = Dictionary(uniqueKeysWithValues: try await adapter.query(query).map { ($0.id.job, $0) })
        #expect(statuses[9]?.state == .pending)
        #expect(statuses[9]?.word == "PENDING")
        #expect(statuses[10]?.state == .nodeFailure)
        #expect(statuses[10]?.nodeList == "n1")
    }

    @Test func nodesAreExcludedOnlyWhileAnotherNodeCanRunTheJob() async throws {
        let directory = try LaunchingTestSupport.temporaryDirectory("melissa-fake-sbatch")
        defer { try? FileManager.default.removeItem(at: directory) }
        let sbatch = #"""
            case "$*" in
                *--test-only*--exclude=only*)
                    echo 'sbatch: error: Batch job submission failed: Requested node configuration is not available' >&2
                    exit 1
                    ;;
                *--test-only*) echo 'sbatch: Job 5 to start at 2026-01-01T00:00:00 using 1 processors on nodes n2' >&2 ;;
                *)
                    echo "$*" >>submitted
                    echo 42
                    ;;
            esac
            """#
        let adapter = try Self.fakeSlurm(["sbatch": sbatch], in: directory)
        var request = SubmissionRequest(
            role: .simulation(0), name: "s", script: "/s/job.sbatch", excludedNodes: ["only"])
        #expect(try await adapter.exclusionLeavesNoNode(request))
        #expect(try await adapter.submit(request) == JobID(job: 42))
        request.excludedNodes = ["n1"]
        #expect(try await !adapter.exclusionLeavesNoNode(request))
        #expect(try await adapter.submit(request) == JobID(job: 42))
        let submitted = try String(contentsOf: directory.appendingPathComponent("submitted"), encoding: .utf8)
            .split(separator: "\n")
        #expect(submitted.count == 2)
        #expect(submitted.first?.contains("--exclude") == false, "\(submitted)")
        #expect(submitted.last?.contains("--exclude=n1") == true, "\(submitted)")
    }

    @Test func commandFailuresSayWhichCommandAndWhy() async throws {
        let runner = CommandRunner(timeout: 30)
        let result = try await runner.run(["sh", "-c", "echo out; echo 'bad thing' >&2; exit 3"])
        #expect(result.status == ExitStatus(code: 3))
        #expect(result.output == "out\n")
        #expect(result.error == "bad thing\n")
        do {
            _ = try await runner.check(["sh", "-c", "echo 'bad thing' >&2; exit 3"])
            Issue.record("no error")
        } catch let error as LaunchingError {
            #expect("\(error)" == "`sh -c echo 'bad thing' >&2; exit 3` exited with status 3: bad thing")
        }
        await #expect(throws: LaunchingError.commandTimedOut(command: ["sleep", "30"], seconds: 0.5)) {
            _ = try await CommandRunner(timeout: 0.5).run(["sleep", "30"])
        }
        let missing = try await runner.run(["melissa-no-such-command-xyz"])
        #expect(missing.status.code == 127)
    }
}
