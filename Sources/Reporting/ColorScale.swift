/// A colour scale from values to RGB: sequential (viridis) for fields, diverging (blue–white–red) for differences.
public struct ColorScale: Sendable {
    /// The anchors, evenly spaced from the low to the high end.
    let anchors: [(UInt8, UInt8, UInt8)]

    /// Viridis: perceptually uniform, colour-blind safe, readable in grey.
    public static let viridis = ColorScale(anchors: [
        (68, 1, 84), (72, 40, 120), (62, 74, 137), (49, 104, 142), (38, 130, 142), (31, 158, 137),
        (53, 183, 121), (110, 206, 88), (181, 222, 43), (253, 231, 37),
    ])
    /// Blue, white at the middle, red: for signed differences around 0.
    public static let diverging = ColorScale(anchors: [
        (33, 102, 172), (103, 169, 207), (209, 229, 240), (247, 247, 247), (253, 219, 199), (239, 138, 98),
        (178, 24, 43),
    ])
    /// The colour of a value that is not a number.
    public static let missing: (UInt8, UInt8, UInt8) = (190, 190, 190)

    /// The colour at `fraction` (0 the low end, 1 the high end; clamped), or ``missing`` for NaN.
    public func color(_ fraction: Double) -> (UInt8, UInt8, UInt8) {
        guard fraction.isFinite else { return Self.missing }
        let t = min(max(fraction, 0), 1) * Double(anchors.count - 1)
        let index = min(Int(t), anchors.count - 2)
        let w = t - Double(index)
        let (a, b) = (anchors[index], anchors[index + 1])
        func mix(_ p: UInt8, _ q: UInt8) -> UInt8 { UInt8((Double(p) * (1 - w) + Double(q) * w).rounded()) }
        return (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
    }

    /// The CSS colour at `fraction`.
    public func css(_ fraction: Double) -> String {
        let (r, g, b) = color(fraction)
        return "rgb(\(r),\(g),\(b))"
    }
}
