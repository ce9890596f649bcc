import Foundation

/// One simulation's training-loss score, as the server's status (`scores`) and `scores.json` give it
/// (docs/server.md, "Per-simulation scores"): over the simulation's samples read for training so far, on every
/// rank, the mean of each sample's latest loss and of its loss at its first read. The signal active sampling follows:
/// the simulations whose `loss` stays high are where the surrogate is worst.
public struct SimulationScore: Sendable, Hashable {
    /// The mean over the simulation's samples of the latest training loss of each (normalised MSE): what the model
    /// makes of the simulation now.
    public var loss: Double
    /// The mean over the simulation's samples of each one's loss at its first read: before training on it.
    public var firstLoss: Double
    /// Reads of the simulation's samples (a sample read n times counts n).
    public var reads: Int
    /// The simulation's samples read at least once.
    public var samples: Int

    /// A score.
    public init(loss: Double, firstLoss: Double, reads: Int, samples: Int) {
        self.loss = loss
        self.firstLoss = firstLoss
        self.reads = reads
        self.samples = samples
    }

    /// How much training on the simulation's samples lowered their loss (Melissa's `delta_loss`): large while the
    /// model is still learning from it.
    public var delta: Double { firstLoss - loss }

    /// The scores of a JSON array of `{"id", "loss", "first_loss", "reads", "samples"}` objects (as decoded by
    /// `JSONSerialization`), by id; an entry without an id or a loss (null: training diverged) is left out, missing
    /// counts are 0.
    public static func scores(fromJSON value: Any?) -> [Int: SimulationScore] {
        func number(_ value: Any?) -> Double? { (value as? NSNumber)?.doubleValue }
        var scores: [Int: SimulationScore] = [:]
        for entry in value as? [[String: Any]] ?? [] {
            guard let id = number(entry["id"]), let loss = number(entry["loss"]) else { continue }
            scores[Int(id)] = SimulationScore(
                loss: loss, firstLoss: number(entry["first_loss"]) ?? loss,
                reads: Int(number(entry["reads"]) ?? 0), samples: Int(number(entry["samples"]) ?? 0))
        }
        return scores
    }

    /// The scores of `<study dir>/scores.json`, which the server writes when it ends; nil when there is none or it
    /// does not decode.
    public static func read(fromStudy studyDirectory: String) -> [Int: SimulationScore]? {
        let url = URL(fileURLWithPath: studyDirectory).appendingPathComponent("scores.json")
        guard let data = FileManager.default.contents(atPath: url.path),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return scores(fromJSON: object["scores"])
    }
}
