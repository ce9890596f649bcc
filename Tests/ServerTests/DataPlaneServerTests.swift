import Foundation
import Launching
import MelissaClient
import PlanModel
import Server
import Testing
import Transport
import WireProtocol

/// The log lines of a server, kept.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func add(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}

/// The study's token, as a client reads it from the token file (which ends with a newline).
func studyToken(_ plan: Plan) throws -> [UInt8] {
    Array(
        try String(contentsOfFile: plan.tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines).utf8
    )
}

/// The refusal reason code a register of simulation `id` gets (nil: accepted).
func refusalCode(
    _ plan: Plan, address: ServerAddress, id: UInt32, attempt: UInt32 = 0, ranks: UInt32 = 1
) throws -> UInt32? {
    let context = try ZMQContext()
    defer { context.shutdown() }
    let identity = SimulationIdentity(
        simulationID: id, attempt: attempt, ranks: ranks, timeSteps: UInt32(plan.simulation.timeSteps),
        fields: [FieldDeclaration(name: "u", size: 50)])
    do {
        _ = try StreamingClient.register(
            context: context, endpoint: address.registration, token: try studyToken(plan), identity: identity,
            timeout: 30)
        return nil
    } catch StreamingClientError.refused(let reason, _) {
        return reason.rawValue
    }
}

/// Polls the status (60 s at most) until `condition` holds.
func waitForServerStatus(_ address: ServerAddress, until condition: ([String: Any]) -> Bool) throws -> Bool {
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline {
        if condition(try serverStatus(address)) { return true }
        usleep(20_000)
    }
    return false
}

/// One list of the status's `simulations` object.
func statusList(_ status: [String: Any], _ key: String) -> [Int]? {
    (status["simulations"] as? [String: Any])?[key] as? [Int]
}

/// Issue 14 against the real training server (in process, real sockets): an incomplete simulation in the status,
/// the study's ranks checked at registration, a bounded log under a flood of newer attempts.
@Suite(.serialized) struct DataPlaneServerTests {
    /// Item 9: a simulation whose finish came with a time step missing is `incomplete` in the status (not finished,
    /// reception not over) and ends nothing; the launcher's resubmission (a newer attempt) sends the missing step, its
    /// repeats are dropped as duplicates, and the study completes. metrics.jsonl carries the counters.
    @Test func anIncompleteSimulationIsInTheStatusUntilItsResubmissionCompletesIt() async throws {
        let (plan, directory) = try plannedStudy(smallStudy(policy: .fifo))
        defer { try? FileManager.default.removeItem(at: directory) }
        let running = try RunningServer(directory: directory)
        let address = try ServerAddress.read(fromDirectory: directory, timeout: 30)
        try stream(plan, directory: directory, ids: [0, 1, 3, 4, 5, 6, 7])
        try stream(plan, directory: directory, ids: [2], steps: 0..<19)  // then finish: step 19 is missing
        // What the launcher reads (ServerStatus, Sources/Launching).
        let control = try ServerControl()
        var status = try await control.ping(address, timeout: 10)
        let deadline = Date().addingTimeInterval(60)
        while status.incomplete != [2], Date() < deadline {
            try await Task.sleep(for: .milliseconds(20))
            status = try await control.ping(address, timeout: 10)
        }
        #expect(status.incomplete == [2], "simulation 2 is incomplete in the status")
        #expect(status.finished == [0, 1, 3, 4, 5, 6, 7])
        #expect(status.running == [])
        #expect(!status.receptionOver)
        try #require(status.incomplete == [2])
        #expect(ServerStatus(json: Array(#"{"simulations": {"finished": [1]}}"#.utf8))?.incomplete == [])

        try stream(plan, directory: directory, ids: [2], attempt: 1)
        #expect(try running.wait() == 0)
        let last = try metrics(directory).last
        #expect(last?["received"] as? Int == 160)
        #expect(last?["duplicates"] as? Int == 19, "the resubmission's 19 repeated steps, one chunk each")
        #expect(last?["rejected"] as? [String: Int] == [:])
    }

    /// Item 11: a register whose ranks differ from the study's `simulation.resources.tasks` is refused with reason 7
    /// and counted as `ranks`.
    @Test func aRegisterWithOtherRanksThanTheStudysTasksIsRefused() throws {
        let (plan, directory) = try plannedStudy(smallStudy())
        defer { try? FileManager.default.removeItem(at: directory) }
        let running = try RunningServer(directory: directory)
        defer {
            running.server.requestStop()
            _ = try? running.wait()
        }
        let address = try ServerAddress.read(fromDirectory: directory, timeout: 30)
        #expect(plan.simulation.resources.tasks == 1)
        #expect(try refusalCode(plan, address: address, id: 0, ranks: 2) == 7)
        #expect(try refusalCode(plan, address: address, id: 0, ranks: UInt32.max) == 7)
        #expect(try refusalCode(plan, address: address, id: 0, ranks: 1) == nil)
        #expect(
            try serverStatus(address)["rejected"] as? [String: Int]
                == RejectionReason.allCases.reduce(into: [:]) {
                    $0[$1.rawValue] = $1.rawValue == "ranks" ? 2 : 0
                })
    }

    /// Item 12: every newer attempt rereads redraws.json and says when it is missing; a token holder registering
    /// newer attempt after newer attempt gets a few such lines and a summary, not one line each.
    @Test func aFloodOfNewerAttemptsLogsAFewLinesAndASummary() throws {
        let (plan, directory) = try plannedStudy(smallStudy())
        defer { try? FileManager.default.removeItem(at: directory) }
        let lines = LogLines()
        let server = try TrainingServer(studyDirectory: directory, restart: false, log: { lines.add($0) })
        let done = DispatchSemaphore(value: 0)
        Thread {
            _ = try? server.run()
            done.signal()
        }.start()
        let address = try ServerAddress.read(fromDirectory: directory, timeout: 30)
        for attempt: UInt32 in 1...40 {
            #expect(try refusalCode(plan, address: address, id: 0, attempt: attempt) == nil)
        }
        server.requestStop()
        #expect(done.wait(timeout: .now() + 120) == .success)
        let redraws = lines.all.filter { $0.contains("redraws.json") }
        #expect(redraws.count <= 6, "\(redraws.count) lines: \(redraws.suffix(3))")
        #expect(redraws.last?.contains("40 in all") == true, "\(redraws.last ?? "none")")
    }
}
