import Foundation

/// The training server's answer to a `ping` (docs/protocol.md): what elasticity, silence detection and the progress
/// line need.
public struct ServerStatus: Sendable, Hashable {
    /// Samples held by each training rank's buffer.
    public var population: [Int]
    /// Samples received per second since the previous status.
    public var receivedPerSecond: Double
    /// Samples trained on per second.
    public var trainedPerSecond: Double
    /// Batches trained so far.
    public var batches: Int
    /// The latest validation loss, if any.
    public var validationLoss: Double?
    /// The relative L2 error of the predicted fields at the latest validation, if any (nil from a server older than
    /// `validation_relative_l2`).
    public var validationRelativeL2: Double?
    /// The root mean squared error of the predicted fields, in their own units, at the latest validation, if any.
    public var validationRMSE: Double?
    /// Time steps turned into samples so far.
    public var samples: Int
    /// Simulations registered and not finished.
    public var running: [Int]
    /// Simulations that finished.
    public var finished: [Int]
    /// Simulations whose attempt ended (every rank sent `finish`) with time steps missing: neither running nor
    /// finished; reception waits for a newer attempt (which sends the missing steps) or a `give_up`. Empty from a
    /// server older than `incomplete`.
    public var incomplete: [Int] = []
    /// Running simulations silent for longer than the server's timeout, with the seconds of silence.
    public var silent: [Int: Double]
    /// Every simulation finished or was given up.
    public var receptionOver: Bool
    /// Checkpoints the server could not write since it started (0 from a server older than
    /// `checkpoint_failures`).
    public var checkpointFailures = 0
    /// The error of the server's latest checkpoint, naming the file, while it is one that failed; nil otherwise.
    public var lastCheckpointError: String?
    /// Every simulation with a sample read for training, by id: its training-loss score (empty from a server older
    /// than `scores`, and before the first batch).
    public var scores: [Int: SimulationScore] = [:]

    /// Creates a status.
    public init(
        population: [Int] = [], receivedPerSecond: Double = 0, trainedPerSecond: Double = 0, batches: Int = 0,
        validationLoss: Double? = nil, validationRelativeL2: Double? = nil, samples: Int = 0, running: [Int] = [],
        finished: [Int] = [],
        silent: [Int: Double] = [:], receptionOver: Bool = false, incomplete: [Int] = []
    ) {
        self.population = population
        self.receivedPerSecond = receivedPerSecond
        self.trainedPerSecond = trainedPerSecond
        self.batches = batches
        self.validationLoss = validationLoss
        self.validationRelativeL2 = validationRelativeL2
        self.validationRMSE = nil
        self.samples = samples
        self.running = running
        self.finished = finished
        self.incomplete = incomplete
        self.silent = silent
        self.receptionOver = receptionOver
    }

    /// Reads the JSON object of a `status` message; nil when it is not one. Missing keys take their defaults.
    public init?(json: [UInt8]) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any] else { return nil }
        func number(_ value: Any?) -> Double? { (value as? NSNumber)?.doubleValue }
        func integers(_ value: Any?) -> [Int] { (value as? [Any])?.compactMap { number($0).map(Int.init) } ?? [] }
        let simulations = object["simulations"] as? [String: Any] ?? [:]
        var silent: [Int: Double] = [:]
        for entry in simulations["silent"] as? [[String: Any]] ?? [] {
            if let id = number(entry["id"]), let seconds = number(entry["seconds"]) { silent[Int(id)] = seconds }
        }
        self.init(
            population: integers(object["population"]), receivedPerSecond: number(object["received_per_s"]) ?? 0,
            trainedPerSecond: number(object["trained_per_s"]) ?? 0, batches: Int(number(object["batches"]) ?? 0),
            validationLoss: number(object["validation_loss"]),
            validationRelativeL2: number(object["validation_relative_l2"]),
            samples: Int(number(object["samples"]) ?? 0),
            running: integers(simulations["running"]), finished: integers(simulations["finished"]), silent: silent,
            receptionOver: (object["reception_over"] as? Bool) ?? false,
            incomplete: integers(simulations["incomplete"]))
        validationRMSE = number(object["validation_rmse"])
        checkpointFailures = Int(number(object["checkpoint_failures"]) ?? 0)
        lastCheckpointError = object["last_checkpoint_error"] as? String
        scores = SimulationScore.scores(fromJSON: object["scores"])
    }

    /// Samples held by every rank's buffer.
    public var totalPopulation: Int { population.reduce(0, +) }
}
