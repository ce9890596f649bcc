import Foundation

/// The standard normal distribution's CDF and quantile function, to about 1e-15 relative accuracy.
enum StandardNormal {
    /// Φ(x), through `erfc` so that the lower tail keeps its relative accuracy.
    static func cdf(_ x: Double) -> Double {
        0.5 * erfc(-x / 2.0.squareRoot())
    }

    /// Φ^-1(p) for p in (0, 1): Acklam's rational approximation (relative error 1.15e-9), refined by one step
    /// of Halley's method on Φ(x) - p computed with `erfc`. The upper half uses the symmetry Φ^-1(p) = -Φ^-1(1-p)
    /// so that 1 - p is exact and the refinement works in the accurate lower tail.
    static func quantile(_ p: Double) -> Double {
        if p > 0.5 { return -quantile(1 - p) }
        if p <= 0 { return -.infinity }
        let x = acklam(p)
        let error = cdf(x) - p
        let u = error * (2 * Double.pi).squareRoot() * exp(x * x / 2)
        return x - u / (1 + x * u / 2)
    }

    private static let a = [
        -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
        -3.066479806614716e+01, 2.506628277459239e+00,
    ]
    private static let b = [
        -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
        -1.328068155288572e+01,
    ]
    private static let c = [
        -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
        4.374664141464968e+00, 2.938163982698783e+00,
    ]
    private static let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]

    /// Acklam's approximation for p in (0, 0.5].
    private static func acklam(_ p: Double) -> Double {
        if p < 0.02425 {
            let q = (-2 * log(p)).squareRoot()
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        let q = p - 0.5
        let r = q * q
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
            / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    }

    /// A standard normal truncated to [a, b] (a < b, either possibly infinite) at quantile u in [0, 1].
    ///
    /// Works in the lower tail (mirroring when a ≥ 0) where Φ keeps relative accuracy. When the interval
    /// carries too little mass for Φ to resolve (beyond about 37 standard deviations), it inverts the asymptotic
    /// expansion of the tail by Newton's method instead.
    /// An infinite end is reached at quantile `clamp` of the untruncated normal, so that u = 0 or 1 stays finite.
    static func truncatedQuantile(_ u: Double, lower a: Double, upper b: Double, clamp: Double) -> Double {
        guard a < b else { return a.isNaN || b.isNaN ? .nan : a }
        if a >= 0 { return -truncatedQuantile(1 - u, lower: -b, upper: -a, clamp: clamp) }
        // Now a < 0: the lower end is in the lower tail or the interval straddles the mean.
        let pa = cdf(a)
        let pb = cdf(b)
        let mass = pb - pa
        if mass > 1e-300, mass.isFinite {
            var p = pa + u * mass
            if a == -.infinity { p = max(p, clamp) }
            if b == .infinity { p = min(p, 1 - clamp) }
            let x = quantile(p)
            return min(max(x, a), b)
        }
        // Both ends far in the lower tail, beyond Φ's range: mirror to the upper tail [t, s] and solve
        // Q(x) = Q(t) - v·(Q(t) - Q(s)) in log space, v being the fraction of the mass from t.
        let t = -b
        let s = -a
        let v = min(1 - u, 1 - clamp)
        let logQt = logUpperTail(t)
        let ratio = s.isFinite ? exp(logUpperTail(s) - logQt) : 0
        let target = logQt + log1p(-v * (1 - ratio))
        // Start from the exponential approximation of the tail, then Newton steps: d log Q / dx = -x / series(x).
        var x = t - log1p(-v * (1 - ratio)) / t
        for _ in 0..<4 {
            x += (logUpperTail(x) - target) * tailSeries(x) / x
            x = min(max(x, t), s)
        }
        return min(max(-x, a), b)
    }

    /// log Q(x) = log(1 - Φ(x)) for large x (≥ 30): -x²/2 - log(x·√(2π)) + log(series(x)), from the asymptotic
    /// expansion of the Mills ratio (error below 1e-13 relative there).
    private static func logUpperTail(_ x: Double) -> Double {
        -x * x / 2 - log(x) - 0.5 * log(2 * Double.pi) + log(tailSeries(x))
    }

    /// 1 - 1/x² + 3/x⁴ - 15/x⁶ + 105/x⁸ - 945/x¹⁰.
    private static func tailSeries(_ x: Double) -> Double {
        let y = 1 / (x * x)
        return 1 + y * (-1 + y * (3 + y * (-15 + y * (105 - 945 * y))))
    }
}
