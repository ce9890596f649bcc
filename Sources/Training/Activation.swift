import Foundation

/// The activation of the hidden layers of an ``MLPArchitecture``.
public enum Activation: String, Sendable, Hashable, Codable, CaseIterable {
    /// max(0, x).
    case relu
    /// tanh(x).
    case tanh
    /// The Gaussian error linear unit with the exact error function: x · Φ(x) (PyTorch's default GELU).
    case gelu

    /// The activation of one value.
    public func evaluate(_ x: Float) -> Float {
        switch self {
        case .relu: return max(x, 0)
        case .tanh: return Foundation.tanh(x)
        case .gelu: return 0.5 * x * (1 + erf(x * Float(0.5).squareRoot()))
        }
    }

    /// Applies the activation to `count` pre-activations `z`, writing `a` (which may not alias `z`).
    func apply(_ z: UnsafePointer<Float>, to a: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .relu:
            for i in 0..<count { a[i] = max(z[i], 0) }
        case .tanh:
            for i in 0..<count { a[i] = Foundation.tanh(z[i]) }
        case .gelu:
            for i in 0..<count { a[i] = 0.5 * z[i] * (1 + erf(z[i] * Float(0.5).squareRoot())) }
        }
    }

    /// Multiplies the gradient `delta` (with respect to the activations) in place by the derivative of the
    /// activation, given the pre-activations `z` and the activations `a` of the forward pass.
    func backpropagate(
        _ delta: UnsafeMutablePointer<Float>, z: UnsafePointer<Float>, a: UnsafePointer<Float>, count: Int
    ) {
        switch self {
        case .relu:
            for i in 0..<count { delta[i] = z[i] > 0 ? delta[i] : 0 }
        case .tanh:
            for i in 0..<count { delta[i] *= 1 - a[i] * a[i] }
        case .gelu:
            let inverseRoot2Pi = 1 / Float(2 * Float.pi).squareRoot()
            for i in 0..<count {
                let x = z[i]
                let cdf = 0.5 * (1 + erf(x * Float(0.5).squareRoot()))
                let pdf = inverseRoot2Pi * exp(-0.5 * x * x)
                delta[i] *= cdf + x * pdf
            }
        }
    }
}
