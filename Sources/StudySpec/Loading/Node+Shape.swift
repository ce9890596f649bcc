import Yams

extension Node {
    /// `{}`, `key:` with nothing, or `null`.
    var isEmptyValue: Bool {
        switch self {
        case .mapping(let mapping): return mapping.count == 0
        case .scalar(let scalar):
            return scalar.style == .plain && (scalar.string.isEmpty || scalar.string == "~" || scalar.string == "null")
        default: return false
        }
    }

    var isScalar: Bool {
        if case .scalar = self { return true }
        return false
    }

    var isMapping: Bool {
        if case .mapping = self { return true }
        return false
    }
}
