import Foundation
import MelissaTestSupport
import PlanModel
import Server
import Testing
import Training

/// What the server writes for the report page: the excerpt of held-out samples and the TensorBoard events.
@Suite struct ReportOutputsTests {
    static func finishedStudy() async throws -> (Plan, URL) {
        let (plan, directory) = try plannedStudy(smallStudy())
        let running = try RunningServer(directory: directory)
        try stream(plan, directory: directory, ids: [6, 7])
        try await waitUntilAccepted(40, directory: directory)
        try stream(plan, directory: directory, ids: Array(0..<6))
        #expect(try running.wait() == 0)
        return (plan, directory)
    }

    @Test func theExcerptHoldsThreeStepsOfHeldOutSimulationsWithTheirTrueFields() async throws {
        let (plan, directory) = try await Self.finishedStudy()
        defer { try? FileManager.default.removeItem(at: directory) }
        let excerpt = try ReportExcerpt.read(from: ReportExcerpt.url(inStudyDirectory: directory))
        let validation = Set(plan.simulations.filter { $0.role == .validation }.map(\.id))
        #expect(Set(excerpt.samples.map(\.simulation)) == validation)
        #expect(excerpt.samples.count == 2 * 3)
        for simulation in validation {
            #expect(excerpt.samples.filter { $0.simulation == simulation }.map(\.step) == [0, 10, 19])
        }
        for sample in excerpt.samples {
            let values = plan.namedValues(of: plan.simulations[sample.simulation]).map { named -> Double in
                if case .real(let value) = named.value { return value }
                return .nan
            }
            #expect(sample.truth == field(values, step: UInt32(sample.step)), "the streamed field, unchanged")
            #expect(sample.input == values.map(Float.init) + [Float(sample.step)])
        }
        let last = try metrics(directory).last
        #expect(excerpt.batches == last?["batch"] as? Int)
        // The model evaluates the excerpt's inputs as `melissa predict` does.
        let model = try Surrogate(contentsOf: directory.appendingPathComponent("model.melissa"))
        #expect(try model.predict(input: excerpt.samples[0].input).count == 50)
    }

    @Test(.requiresPython("tensorboard"))
    func tensorBoardReadsTheServersScalars() async throws {
        let (_, directory) = try await Self.finishedStudy()
        defer { try? FileManager.default.removeItem(at: directory) }
        let python = try #require(HostTools.python(with: "tensorboard"))
        let read = """
            import sys
            from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
            acc = EventAccumulator(sys.argv[1]); acc.Reload()
            for tag in sorted(acc.Tags()["scalars"]):
                print(tag, acc.Scalars(tag)[-1].step)
            """
        let run = try await ProcessRunner.run(
            python, ["-c", read, directory.appendingPathComponent("tensorboard").path])
        #expect(run.status == 0, "\(run.transcript)")
        let lastBatch = try #require(try metrics(directory).last?["batch"] as? Int)
        let tags = run.standardOutput.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(
            tags.map { $0[0] } == [
                "buffer/population", "buffer/received", "loss/train", "loss/validation", "optimizer/learning_rate",
                "throughput/samples_per_second", "validation/relative_l2",
            ])
        #expect(tags.allSatisfy { $0.last == String(lastBatch) }, "\(run.standardOutput)")
    }
}

@Test func everyMetricsRecordSaysHowLongTheTrainerSpentInItsSteps() async throws {
    let (_, directory) = try await ReportOutputsTests.finishedStudy()
    defer { try? FileManager.default.removeItem(at: directory) }
    let lines = try metrics(directory)
    let steps = lines.compactMap { $0["step_seconds"] as? Double }
    #expect(steps.count == lines.count)
    #expect(steps.allSatisfy { $0 >= 0 } && steps.reduce(0, +) > 0)
    let last = try #require(lines.last?["seconds"] as? Double)
    #expect(steps.reduce(0, +) <= last, "time in steps is part of the wall time")
}

@Test func theReadCountsCoverEveryTrainingSampleAndTheirReads() async throws {
    let (_, directory) = try await ReportOutputsTests.finishedStudy()
    defer { try? FileManager.default.removeItem(at: directory) }
    let excerpt = try ReportExcerpt.read(from: ReportExcerpt.url(inStudyDirectory: directory))
    let last = try #require(try metrics(directory).last)
    // The reservoir drained: every training sample left the buffer, read at least once.
    #expect(excerpt.readCounts.values.reduce(0, +) == 120, "6 training simulations × 20 steps")
    #expect(excerpt.readCounts[0] == nil, "no sample left unread")
    let reads = excerpt.readCounts.reduce(0) { $0 + $1.key * $1.value }
    #expect(reads == last["trained"] as? Int, "the reads add up to the samples trained, repeats included")
}
