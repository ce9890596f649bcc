/// A field a simulation sends: its name and its global size (values per time step over the whole domain).
public struct FieldDeclaration: Equatable, Hashable, Sendable, Codable {
    /// The field's name (1…255 bytes of UTF-8).
    public var name: String
    /// Values per time step over the whole domain.
    public var size: UInt64

    /// A field called `name` of `size` values.
    public init(name: String, size: UInt64) {
        self.name = name
        self.size = size
    }
}
