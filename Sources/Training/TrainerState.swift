import Randomness

/// A trainer's whole mutable state as plain values, for checkpoints: restoring it with ``Trainer/init(state:)``
/// continues training bit for bit.
public struct TrainerState: Sendable, Hashable, Codable {
    /// The configuration the trainer was made with.
    public var configuration: TrainerConfiguration
    /// The flat parameter array (see ``MLPArchitecture``).
    public var parameters: [Float]
    /// Adam's first moment, or SGD's momentum buffer (same layout as the parameters).
    public var firstMoment: [Float]
    /// Adam's second moment (empty for SGD).
    public var secondMoment: [Float]
    /// Optimiser steps taken.
    public var step: Int
    /// Samples trained on, all ranks together.
    public var samplesSeen: Int
    /// The trainer's random generator.
    public var generator: Xoshiro256StarStar
    /// The input and output normalisation.
    public var normalizer: Normalizer

    /// Creates a state.
    public init(
        configuration: TrainerConfiguration, parameters: [Float], firstMoment: [Float], secondMoment: [Float],
        step: Int, samplesSeen: Int, generator: Xoshiro256StarStar, normalizer: Normalizer
    ) {
        self.configuration = configuration
        self.parameters = parameters
        self.firstMoment = firstMoment
        self.secondMoment = secondMoment
        self.step = step
        self.samplesSeen = samplesSeen
        self.generator = generator
        self.normalizer = normalizer
    }
}
