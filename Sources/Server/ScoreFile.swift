import Foundation
import Ingest

/// `<study dir>/scores.json`: the per-simulation scores of every rank when the server ended (finished, or stopped on
/// request), `{"batches": N, "scores": [{"id": …, "loss": …, "first_loss": …, "reads": …, "samples": …}, …]}`, the
/// status's objects in id order with their losses unrounded (docs/server.md, "Per-simulation scores").
struct ScoreFile {
    /// The file's name in the study directory.
    static let name = "scores.json"

    /// Batches trained when the scores were taken.
    var batches: Int
    /// The scores, in id order.
    var scores: [TrainingScore]

    /// Writes the file into `studyDirectory`, atomically.
    func write(toStudy studyDirectory: URL) throws {
        let text = "{\"batches\":\(batches),\"scores\":" + TrainingScore.jsonArray(scores) + "}\n"
        try Data(text.utf8).write(to: studyDirectory.appendingPathComponent(Self.name), options: .atomic)
    }
}
