import Foundation
import MelissaTestSupport
import Testing

@testable import Reporting

@Suite struct TensorBoardWriterTests {
    @Test func crc32cMatchesItsReferenceValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    }

    /// TensorBoard's own reader (the `tensorboard` package's EventAccumulator) loads every scalar back.
    @Test(.requiresPython("tensorboard"))
    func tensorBoardReadsTheScalarsBack() throws {
        let directory = try HostTools.temporaryDirectory("tb")
        defer { try? FileManager.default.removeItem(at: directory) }
        let writer = try TensorBoardWriter(directory: directory)
        for step in 1...5 {
            try writer.add(
                step: step * 10,
                scalars: [("loss/train", 1 / Double(step)), ("loss/validation", 2 / Double(step)), ("nan", .nan)])
        }
        let python = try #require(HostTools.python(with: "tensorboard"))
        let read = """
            import sys
            from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
            acc = EventAccumulator(sys.argv[1]); acc.Reload()
            for tag in sorted(acc.Tags()["scalars"]):
                print(tag, " ".join(f"{e.step}:{e.value:.4f}" for e in acc.Scalars(tag)))
            """
        let run = try ProcessRunner.run(python, ["-c", read, directory.path])
        #expect(run.status == 0, "\(run.transcript)")
        #expect(
            run.standardOutput == """
                loss/train 10:1.0000 20:0.5000 30:0.3333 40:0.2500 50:0.2000
                loss/validation 10:2.0000 20:1.0000 30:0.6667 40:0.5000 50:0.4000

                """)
    }
}
