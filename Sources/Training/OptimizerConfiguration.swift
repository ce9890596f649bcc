import Foundation

/// The optimiser, its hyper-parameters and its step-decay learning-rate schedule.
public struct OptimizerConfiguration: Sendable, Hashable, Codable {
    /// An optimisation method.
    public enum Method: String, Sendable, Hashable, Codable {
        /// Adam with decoupled weight decay (AdamW when `weightDecay` > 0), as `torch.optim.AdamW`.
        case adam
        /// SGD with momentum and L2 weight decay added to the gradient, as `torch.optim.SGD`.
        case sgd
    }

    /// The method.
    public var method: Method
    /// The initial learning rate.
    public var learningRate: Float
    /// Weight decay (decoupled for Adam, L2 for SGD), applied to every parameter, biases included.
    public var weightDecay: Float
    /// SGD momentum.
    public var momentum: Float
    /// Adam's first-moment decay.
    public var beta1: Float
    /// Adam's second-moment decay.
    public var beta2: Float
    /// Adam's denominator guard.
    public var epsilon: Float
    /// Steps between learning-rate decays; 0 means a constant rate.
    public var decayEverySteps: Int
    /// The factor applied at each decay.
    public var decayFactor: Float

    /// Creates the optimiser description (defaults: Adam, 1e-3, PyTorch's betas and epsilon).
    public init(
        method: Method = .adam, learningRate: Float = 1e-3, weightDecay: Float = 0, momentum: Float = 0.9,
        beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, decayEverySteps: Int = 0,
        decayFactor: Float = 0.5
    ) {
        self.method = method
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.momentum = momentum
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.decayEverySteps = decayEverySteps
        self.decayFactor = decayFactor
    }

    /// The learning rate of step `step` (counted from 0): `learningRate · decayFactor^⌊step / decayEverySteps⌋`.
    public func learningRate(atStep step: Int) -> Float {
        guard decayEverySteps > 0 else { return learningRate }
        let decays = step / decayEverySteps
        return Float(Double(learningRate) * Foundation.pow(Double(decayFactor), Double(decays)))
    }
}
