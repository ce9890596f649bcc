import Launching
import Testing

/// The per-simulation scores of the server's status (docs/protocol.md, `scores`), as the launcher decodes them.
@Suite("Status scores")
struct ServerStatusScoresTests {
    @Test("the scores of the status are read by simulation id, with Melissa's delta")
    func scores() throws {
        let json = """
            {"batches": 1200, "population": [812],
             "scores": [{"id": 3, "loss": 0.0123, "first_loss": 0.05, "reads": 812, "samples": 100},
                        {"id": 7, "loss": 0.5, "first_loss": 0.75, "reads": 20, "samples": 20},
                        {"id": 9, "loss": null, "first_loss": null, "reads": 4, "samples": 2}]}
            """
        let status = try #require(ServerStatus(json: Array(json.utf8)))
        #expect(status.scores.keys.sorted() == [3, 7], "a score whose loss is not a number (null) is left out")
        let score = try #require(status.scores[3])
        #expect(score == SimulationScore(loss: 0.0123, firstLoss: 0.05, reads: 812, samples: 100))
        #expect(abs(score.delta - 0.0377) < 1e-12)
        #expect(status.scores[7]?.delta == 0.25)
    }

    @Test("a status without scores (an older server, or before the first batch) has none")
    func noScores() throws {
        let status = try #require(ServerStatus(json: Array(#"{"batches": 3}"#.utf8)))
        #expect(status.scores.isEmpty)
        #expect(ServerStatus().scores.isEmpty)
    }
}
