/// An environment variable whose value has its placeholders substituted.
public struct RenderedVariable: Sendable, Hashable, Codable {
    /// The variable's name.
    public var name: String
    /// The value as one quoted shell word, ready for `export NAME=<word>`.
    public var word: String

    /// Creates a variable.
    public init(name: String, word: String) {
        self.name = name
        self.word = word
    }
}
