import Launching
import Testing

/// The recovery and elasticity policies, without processes.
@Suite("Launch policies")
struct LaunchPolicyTests {
    let elasticity = ElasticityPolicy(minimum: 2, maximum: 8, watermark: 100, capacity: 1000)

    @Test("more simulations when the trainer starves, fewer when the buffer is full, bounded by the window")
    func elasticWindow() {
        let starving = ServerStatus(population: [10, 20], receivedPerSecond: 5, trainedPerSecond: 50)
        #expect(elasticity.window(after: starving, current: 4)?.window == 5)
        #expect(elasticity.window(after: starving, current: 8) == nil)
        let full = ServerStatus(population: [1000, 400], receivedPerSecond: 500, trainedPerSecond: 50)
        #expect(elasticity.window(after: full, current: 4)?.window == 3)
        #expect(elasticity.window(after: full, current: 2) == nil)
        let steady = ServerStatus(population: [500, 500], receivedPerSecond: 50, trainedPerSecond: 50)
        #expect(elasticity.window(after: steady, current: 4) == nil)
    }

    @Test("the status JSON of docs/protocol.md is read")
    func statusJSON() throws {
        let json = """
            {"population": [812, 790], "received_per_s": 410.5, "trained_per_s": 2801.0,
             "batches": 1200, "validation_loss": 0.0123,
             "simulations": {"running": [3, 4, 7], "finished": [0, 1, 2], "silent": [{"id": 5, "seconds": 75.2}]},
             "rejected": {"magic": 0}, "reception_over": false}
            """
        let status = try #require(ServerStatus(json: Array(json.utf8)))
        #expect(status.population == [812, 790] && status.totalPopulation == 1602)
        #expect(status.receivedPerSecond == 410.5 && status.trainedPerSecond == 2801)
        #expect(status.validationLoss == 0.0123 && status.batches == 1200)
        // A server older than `validation_relative_l2` still decodes, without it.
        #expect(status.validationRelativeL2 == nil)
        #expect(status.running == [3, 4, 7] && status.finished == [0, 1, 2] && status.silent == [5: 75.2])
        #expect(!status.receptionOver)
        #expect(ServerStatus(json: Array("[1]".utf8)) == nil)
    }

    @Test("the validation relative L2 error is read when the status has it, null or absent otherwise")
    func statusRelativeL2() throws {
        let with = #"{"batches": 3, "validation_loss": 0.25, "validation_relative_l2": 0.154}"#
        let status = try #require(ServerStatus(json: Array(with.utf8)))
        #expect(status.validationLoss == 0.25 && status.validationRelativeL2 == 0.154)
        let null = #"{"batches": 3, "validation_loss": null, "validation_relative_l2": null}"#
        let before = try #require(ServerStatus(json: Array(null.utf8)))
        #expect(before.validationLoss == nil && before.validationRelativeL2 == nil)
        let without = #"{"batches": 3, "validation_loss": 0.25}"#
        let older = try #require(ServerStatus(json: Array(without.utf8)))
        #expect(older.validationLoss == 0.25 && older.validationRelativeL2 == nil)
    }

    @Test("the progress line shows the relative L2 error when the server reports it")
    func progressLineRelativeL2() {
        let progress = LaunchProgress(
            simulations: 10, done: 3, running: 2, pending: 4, failed: 1, window: 2,
            server: ServerStatus(
                population: [812], receivedPerSecond: 410.54, trainedPerSecond: 2801, validationLoss: 0.32734,
                validationRelativeL2: 0.15413),
            serverListening: true)
        #expect(progress.serverText == "recv 410.5/s train 2801.0/s | buffer 812 | loss 0.3273 · rel L2 15.4 %")
    }

    @Test("the progress line")
    func progressLine() {
        var progress = LaunchProgress(simulations: 10, done: 3, running: 2, pending: 4, failed: 1, window: 2)
        #expect(progress.line == "sims 3/10 done, 2 running, 4 pending, 1 failed | waiting for the server")
        progress.serverListening = true
        progress.server = ServerStatus(
            population: [812], receivedPerSecond: 410.54, trainedPerSecond: 2801, validationLoss: 0.01234)
        #expect(
            progress.line
                == "sims 3/10 done, 2 running, 4 pending, 1 failed | recv 410.5/s train 2801.0/s | buffer 812 | loss 0.0123"
        )
    }
}
