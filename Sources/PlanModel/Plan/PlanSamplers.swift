import Sampling

/// The samplers' states after drawing the plan's points, so that more can be drawn later
/// (a crashed simulation's parameters redrawn, an ensemble extended).
public struct PlanSamplers: Sendable, Hashable, Codable {
    /// The training sampler; nil when the points came from a file.
    public var training: SamplerState?
    /// The validation sampler; nil when there are no validation simulations or they came from a file.
    public var validation: SamplerState?

    /// Creates the states.
    public init(training: SamplerState?, validation: SamplerState?) {
        self.training = training
        self.validation = validation
    }
}
