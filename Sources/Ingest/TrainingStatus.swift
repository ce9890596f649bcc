/// What the trainer reports for the `status` answer to a launcher's ping.
public struct TrainingStatus: Sendable, Equatable {
    /// Samples held by each training rank's buffer.
    public var population: [Int]
    /// Samples trained on per second.
    public var trainedPerSecond: Double
    /// Batches trained so far.
    public var batches: Int
    /// The last validation loss, if any.
    public var validationLoss: Double?

    /// A training status.
    public init(population: [Int] = [], trainedPerSecond: Double = 0, batches: Int = 0, validationLoss: Double? = nil) {
        self.population = population
        self.trainedPerSecond = trainedPerSecond
        self.batches = batches
        self.validationLoss = validationLoss
    }
}
