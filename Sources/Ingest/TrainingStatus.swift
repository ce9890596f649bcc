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
    /// The relative L2 error of the fields predicted on the held-out simulations at the last validation, if any.
    public var validationRelativeL2: Double?
    /// The root mean squared error of the fields (their own units) at the last validation, if any.
    public var validationRMSE: Double?
    /// The ingest counters of the other training ranks of a multi-rank server, summed (as of their last report to
    /// rank 0, at the last training step); empty for one rank. The status adds them to rank 0's own.
    public var peers = IngestStatistics()
    /// Checkpoints that could not be written since the server started (every rank's count: they fail together).
    public var checkpointFailures = 0
    /// The error of the latest checkpoint (the file and the system's error), while it is one that failed.
    public var lastCheckpointError: String?
    /// Every simulation with a sample read for training, by id: its training-loss score (all ranks, as of the
    /// ranks' latest agreement on them, at most about a second old).
    public var scores: [TrainingScore] = []

    /// A training status.
    public init(
        population: [Int] = [], trainedPerSecond: Double = 0, batches: Int = 0, validationLoss: Double? = nil,
        validationRelativeL2: Double? = nil, peers: IngestStatistics = IngestStatistics()
    ) {
        self.population = population
        self.trainedPerSecond = trainedPerSecond
        self.batches = batches
        self.validationLoss = validationLoss
        self.validationRelativeL2 = validationRelativeL2
        self.peers = peers
    }
}
