import Foundation
import Testing

@testable import StudySpec

/// `training.threads`: `auto` (the default) or a number, as the plan records it.
@Suite struct ThreadsKeyTests {
    private func threads(_ line: String?) throws -> ThreadCount {
        let yaml = replacingLine("batch_size:", with: line ?? "batch_size: 10")
        return try StudyLoader.parse(yaml, fileName: "study.yaml", directory: URL(fileURLWithPath: "/tmp"))
            .study.training.threads
    }

    @Test func absentIsAuto() throws {
        #expect(try threads(nil) == .auto)
        #expect(TrainingSpec().threads == .auto)
    }

    @Test func autoAndNumbersAreRead() throws {
        #expect(try threads("threads: auto") == .auto)
        #expect(try threads("threads: 3") == .fixed(3))
        #expect(try threads("threads: 1").fixedCount == 1)
    }

    @Test func thePlanRecordsAutoAsAStringAndANumberAsANumber() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let auto = String(decoding: try encoder.encode(TrainingSpec(threads: .auto)), as: UTF8.self)
        let two = String(decoding: try encoder.encode(TrainingSpec(threads: 2)), as: UTF8.self)
        #expect(auto.contains(#""threads":"auto""#))
        #expect(two.contains(#""threads":2"#))
        let decoder = JSONDecoder()
        #expect(try decoder.decode(TrainingSpec.self, from: Data(auto.utf8)).threads == .auto)
        #expect(try decoder.decode(TrainingSpec.self, from: Data(two.utf8)).threads == .fixed(2))
        let wrong = two.replacingOccurrences(of: #""threads":2"#, with: #""threads":"many""#)
        #expect(throws: DecodingError.self) { try decoder.decode(TrainingSpec.self, from: Data(wrong.utf8)) }
    }
}
