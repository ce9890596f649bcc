import Foundation

/// An axis's range and its "nice" ticks (1, 2, 5 × 10^k), linear or logarithmic.
struct Axis {
    let low: Double
    let high: Double
    let logarithmic: Bool

    init(values: [Double], logarithmic: Bool, includeZero: Bool = false) {
        self.logarithmic = logarithmic
        let finite = values.filter(\.isFinite)
        var low = finite.min() ?? 0
        var high = finite.max() ?? 1
        if logarithmic {
            low = log10(max(low, 1e-300)).rounded(.down)
            high = log10(max(high, 1e-300)).rounded(.up)
            if high <= low { high = low + 1 }
        } else {
            if includeZero { low = min(low, 0) }
            if high <= low { high = low + 1 }
            let step = Axis.niceStep((high - low) / 5)
            low = (low / step).rounded(.down) * step
            high = (high / step).rounded(.up) * step
        }
        self.low = low
        self.high = high
    }

    /// Where `value` falls, 0 at the low end and 1 at the high end.
    func fraction(_ value: Double) -> Double {
        let v = logarithmic ? log10(max(value, 1e-300)) : value
        return (v - low) / (high - low)
    }

    func ticks() -> [Double] {
        if logarithmic {
            return stride(from: low, through: high, by: 1).map { pow(10, $0) }
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
