/// Byte-string comparison whose time does not depend on where the strings differ (for the study token).
public enum ConstantTime {
    /// Whether `given` equals `expected`, looking at every byte of `expected` whatever `given` holds.
    public static func equal(_ given: [UInt8], _ expected: [UInt8]) -> Bool {
        var difference: UInt8 = given.count == expected.count ? 0 : 1
        for index in expected.indices {
            let byte = index < given.count ? given[index] : ~expected[index]
            difference |= byte ^ expected[index]
        }
        return difference == 0
    }
}
