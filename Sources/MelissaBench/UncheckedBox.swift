/// Hands non-Sendable values to threads that each use their own element (one client per sender thread).
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value

    init(_ value: Value) {
        self.value = value
    }
}
