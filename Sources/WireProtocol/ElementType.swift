/// The type of the values of a data chunk.
public enum ElementType: UInt8, Sendable, CaseIterable {
    /// IEEE 754 binary32, little-endian.
    case float32 = 1
    /// IEEE 754 binary64, little-endian (converted to float32 when the sample is stored).
    case float64 = 2

    /// Bytes per value.
    public var size: Int {
        switch self {
        case .float32: 4
        case .float64: 8
        }
    }
}
