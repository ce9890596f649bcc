/// One simulation's training-loss score as the status reports it (`scores` in docs/protocol.md): over the samples of
/// the simulation read for training so far (all ranks), the mean of their latest losses and of their first ones.
public struct TrainingScore: Sendable, Equatable {
    /// The simulation id.
    public var id: Int
    /// The mean over the simulation's samples of the latest training loss of each (normalised MSE).
    public var loss: Double
    /// The mean over the simulation's samples of each one's loss at its first read.
    public var firstLoss: Double
    /// Reads of the simulation's samples (a sample read n times counts n).
    public var reads: Int
    /// The simulation's samples read at least once.
    public var samples: Int

    /// A score.
    public init(id: Int, loss: Double, firstLoss: Double, reads: Int, samples: Int) {
        self.id = id
        self.loss = loss
        self.firstLoss = firstLoss
        self.reads = reads
        self.samples = samples
    }

    /// The JSON array of `scores` (in their order), each `{"id":…,"loss":…,"first_loss":…,"reads":…,"samples":…}`,
    /// with the losses rounded to `significantDigits` (nil: exact, the shortest text that reads back the same
    /// double); a loss that is not finite (training diverged) is `null`. About 70 bytes a simulation at 4 digits.
    public static func jsonArray(_ scores: [TrainingScore], significantDigits: Int? = nil) -> String {
        var text = "["
        text.reserveCapacity(2 + scores.count * 72)
        for (index, score) in scores.enumerated() {
            if index > 0 { text += "," }
            text += "{\"id\":\(score.id),\"loss\":"
            text += number(score.loss, significantDigits)
            text += ",\"first_loss\":"
            text += number(score.firstLoss, significantDigits)
            text += ",\"reads\":\(score.reads),\"samples\":\(score.samples)}"
        }
        return text + "]"
    }

    /// `value` as a JSON number, rounded to `digits` significant digits when given.
    static func number(_ value: Double, _ digits: Int?) -> String {
        guard value.isFinite else { return "null" }
        guard let digits, value != 0 else { return "\(value)" }
        return "\(rounded(value, significantDigits: digits))"
    }

    /// The double nearest to `value` rounded to `digits` significant decimal digits, so that its shortest text has at
    /// most that many (the scale is an exact power of ten on the side that divides).
    static func rounded(_ value: Double, significantDigits digits: Int) -> Double {
        let magnitude = value.magnitude
        guard magnitude.isFinite, magnitude > 0, magnitude >= 1e-290 else { return value }
        var exponent = 0
        var probe = magnitude
        while probe >= 10 {
            probe /= 10
            exponent += 1
        }
        while probe < 1 {
            probe *= 10
            exponent -= 1
        }
        let shift = digits - 1 - exponent
        if shift >= 0 {
            guard shift <= 22 else { return value }
            let scale = exactPowerOfTen(shift)
            return (value * scale).rounded() / scale
        }
        guard -shift <= 22 else { return value }
        let scale = exactPowerOfTen(-shift)
        return (value / scale).rounded() * scale
    }

    /// 10^n, exact for n ≤ 22.
    private static func exactPowerOfTen(_ n: Int) -> Double {
        var result = 1.0
        for _ in 0..<n { result *= 10 }
        return result
    }
}
