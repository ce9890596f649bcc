/// What one optimiser step did.
public struct StepResult: Sendable, Hashable {
    /// The mean squared error of the batch (all ranks), in normalised units, before the update.
    public var loss: Float
    /// Samples in the step, all ranks together.
    public var samples: Int
    /// The learning rate used.
    public var learningRate: Float
    /// The step's index (from 0).
    public var step: Int
}
