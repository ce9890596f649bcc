import Foundation
import Testing
import WireProtocol

/// The worker channel's messages (docs/protocol.md, "The worker channel").
@Suite struct WorkerMessageTests {
    let token = Array(String(repeating: "cd", count: 32).utf8)

    @Test("worker_report and worker_directive round-trip, byte layout as documented")
    func messagesRoundTrip() throws {
        let report = WorkerReportMessage(token: token, sequence: 0x0102_0304_0506_0708, json: Array(#"{"a":1}"#.utf8))
        let bytes = report.encoded()
        #expect(bytes.count == WireFormat.workerReportHeaderSize + 7)
        #expect(Array(bytes[0..<8]) == [0x4D, 0x4C, 0x53, 0x41, 1, 0, 32, 0])
        #expect(Array(bytes[8..<72]) == token)
        #expect(Array(bytes[72..<80]) == [8, 7, 6, 5, 4, 3, 2, 1])
        #expect(try WorkerReportMessage.decode(bytes) == report)
        #expect(try WireMessage.decode(bytes) == .workerReport(report))
        // A short token is padded to 64 bytes (and then fails the launcher's check).
        #expect(
            try WorkerReportMessage.decode(WorkerReportMessage(token: [1], sequence: 1, json: []).encoded()).token.count
                == 64)

        let directive = WorkerDirectiveMessage(sequence: 9, json: Array(#"{"do":"wait"}"#.utf8))
        let answer = directive.encoded()
        #expect(Array(answer[0..<8]) == [0x4D, 0x4C, 0x53, 0x41, 1, 0, 33, 0])
        #expect(try WorkerDirectiveMessage.decode(answer) == directive)
        #expect(try WireMessage.decode(answer) == .workerDirective(directive))
    }

    @Test("bad bytes are refused with their reason")
    func badMessages() {
        let cut = Array(WorkerReportMessage(token: token, sequence: 1, json: []).encoded().prefix(40))
        #expect(throws: DecodeError.truncated) { try WorkerReportMessage.decode(cut) }
        var wrongKind = WorkerDirectiveMessage(sequence: 1, json: []).encoded()
        #expect(throws: DecodeError.kind(33)) { try WorkerReportMessage.decode(wrongKind) }
        wrongKind[0] = 0
        #expect(throws: DecodeError.magic) { try WorkerDirectiveMessage.decode(wrongKind) }
        let huge = WorkerReportMessage(
            token: token, sequence: 1,
            json: Array(repeating: UInt8(ascii: " "), count: WireFormat.maximumWorkerMessageSize))
        #expect(throws: DecodeError.oversized) { try WorkerReportMessage.decode(huge.encoded()) }
        var invalid = WorkerReportMessage(token: token, sequence: 1, json: [0xFF]).encoded()
        #expect(throws: DecodeError.malformed("invalid UTF-8")) { try WorkerReportMessage.decode(invalid) }
        invalid.removeLast()
        #expect((try? WorkerReportMessage.decode(invalid))?.json == [])
    }

    @Test("the JSON objects use the documented keys")
    func jsonKeys() throws {
        let report = WorkerReport(
            worker: 3, pid: 42, host: "n1", job: "17", state: .running, runs: 2,
            current: .init(run: 2, simulation: 7, attempt: 1, group: 99, seconds: 1.5),
            ended: [.init(run: 1, simulation: 6, attempt: 0, exitCode: 1, timedOut: true, seconds: 3)])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(report), as: UTF8.self)
        for key in [
            #""worker":3"#, #""state":"running""#, #""exit_code":1"#, #""timed_out":true"#, #""group":99"#,
            #""job":"17""#,
        ] {
            #expect(text.contains(key), "\(key) in \(text)")
        }
        #expect(try JSONDecoder().decode(WorkerReport.self, from: Data(text.utf8)) == report)

        let run = WorkerDirective(
            .run, run: 2, simulation: 7, attempt: 1, environment: ["MELISSA_ATTEMPT": "1"], timeLimit: 600,
            heartbeat: 5, acknowledged: [1])
        let directive = String(decoding: try encoder.encode(run), as: UTF8.self)
        #expect(directive.contains(#""do":"run""#) && directive.contains(#""time_limit":600"#))
        #expect(try JSONDecoder().decode(WorkerDirective.self, from: Data(directive.utf8)) == run)
        let proceed = try JSONDecoder().decode(WorkerDirective.self, from: Data(#"{"do":"continue"}"#.utf8))
        #expect(proceed.action == .proceed && proceed.acknowledged.isEmpty)
        #expect(throws: (any Error).self) {
            try JSONDecoder().decode(WorkerDirective.self, from: Data(#"{"do":"dance"}"#.utf8))
        }
    }

    @Test("launcher.address is written atomically and read back")
    func launcherAddress() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("melissa-address-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(LauncherAddress.read(fromDirectory: directory) == nil)
        let address = LauncherAddress(pid: 12, host: "login1", workers: "tcp://login1:4242")
        try address.write(toDirectory: directory)
        #expect(LauncherAddress.read(fromDirectory: directory) == address)
        let text = try String(contentsOf: directory.appendingPathComponent("launcher.address"), encoding: .utf8)
        #expect(text == #"{"host":"login1","pid":12,"protocol":1,"workers":"tcp:\/\/login1:4242"}"#)
    }

    @Test("the token comparison looks at every byte")
    func constantTime() {
        #expect(ConstantTime.equal(token, token))
        #expect(!ConstantTime.equal(Array(token.dropLast()), token))
        #expect(!ConstantTime.equal(token + [1], token))
        var other = token
        other[63] ^= 1
        #expect(!ConstantTime.equal(other, token))
    }
}
