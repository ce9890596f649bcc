import Foundation

/// An axis's range and its "nice" ticks (1, 2, 5 × 10^k), linear or logarithmic.
///
/// It holds up on any data: no value or no finite value gives the range [0, 1] (or one decade), a constant series a
/// range around its value, NaN and infinities are left out, and a logarithmic axis over many decades gets at most
/// ``maximumTicks`` ticks, every k-th decade.
struct Axis {
    /// The most ticks an axis draws.
    static let maximumTicks = 7

    let low: Double
    let high: Double
    let logarithmic: Bool

    init(values: [Double], logarithmic: Bool, includeZero: Bool = false) {
        self.logarithmic = logarithmic
        // Clamped so that the span of the extremes stays finite (±1e300 apart at most).
        let finite = values.filter { $0.isFinite && (!logarithmic || $0 > 0) }.map { min(max($0, -1e300), 1e300) }
        if logarithmic {
            var low = log10(finite.min() ?? 1).rounded(.down)
            var high = log10(finite.max() ?? 10).rounded(.up)
            if high <= low {
                low -= 1
                high += 1
            }
            self.low = low
            self.high = high
            return
        }
        var low = finite.min() ?? 0
        var high = finite.max() ?? 1
        if includeZero {
            low = min(low, 0)
            high = max(high, 0)
        }
        if high <= low {
            let pad = low == 0 ? 1 : abs(low) * 0.1
            low -= pad
            high += pad
        }
        let step = Axis.niceStep((high - low) / 5)
        self.low = (low / step).rounded(.down) * step
        self.high = (high / step).rounded(.up) * step
    }

    /// Where `value` falls, 0 at the low end and 1 at the high end.
    func fraction(_ value: Double) -> Double {
        let v = logarithmic ? log10(max(value, 1e-300)) : value
        return (v - low) / (high - low)
    }

    /// Whether `value` can be placed on this axis (finite, and positive on a logarithmic one).
    func accepts(_ value: Double) -> Bool {
        value.isFinite && (!logarithmic || value > 0)
    }

    func ticks() -> [Double] {
        if logarithmic {
            let decades = Int(high - low)
            let every = max(1, (decades + Axis.maximumTicks - 1) / Axis.maximumTicks)
            return stride(from: low, through: high, by: Double(every)).map { pow(10, $0) }
        }
        let step = Axis.niceStep((high - low) / 5)
        return stride(from: low, through: high + step / 2, by: step).map { $0 }
    }

    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let magnitude = pow(10, log10(raw).rounded(.down))
        let fraction = raw / magnitude
        let nice: Double = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        return nice * magnitude
    }

    static func label(_ value: Double) -> String {
        if value == 0 { return "0" }
        let magnitude = abs(value)
        if magnitude >= 1e5 || magnitude < 1e-3 { return String(format: "%.0e", value) }
        if value == value.rounded() { return String(Int(value)) }
        return String(format: "%g", value)
    }
}
