import Buffers
import Dispatch
import Foundation
import Ingest
import Testing
import Training

@testable import Server

/// The ingest's sink under back-pressure: a receiving thread waits for room in a full buffer, and a stopping server
/// must be able to end that wait (or its ingest's threads never end).
@Test func aSinkWaitingForRoomGivesUpWhenTheServerStopsAndRecordsOnlyWhatItPlaced() throws {
    let (plan, directory) = try plannedStudy(smallStudy(policy: .fifo))
    defer { try? FileManager.default.removeItem(at: directory) }
    let buffer = TrainingBuffer<TrainingSample>(policy: .fifo, capacity: 2, watermark: 2, seed: 1)
    let sink = StudySink(
        buffer: buffer, parameterSets: ParameterSets(plan: plan, directory: directory, log: { _ in }),
        validationIDs: [], outputCount: 50)
    let done = DispatchSemaphore(value: 0)
    Thread {
        for step in UInt32(0)..<3 {
            sink.accept(Sample(simulationID: 0, timeStep: step, values: [Float](repeating: 1, count: 50)))
        }
        done.signal()
    }.start()
    #expect(done.wait(timeout: .now() + 0.3) == .timedOut, "the third sample waits for room (back-pressure)")
    #expect(sink.snapshot().received[0]?[0] == [0, 1])
    buffer.interrupt()
    #expect(done.wait(timeout: .now() + 30) == .success, "the stop ends the wait")
    let snapshot = sink.snapshot()
    #expect(snapshot.buffer.count == 2)
    #expect(snapshot.received[0]?[0] == [0, 1], "the sample that found no room was not accepted")
    #expect(sink.receivedCount == 2)
}
