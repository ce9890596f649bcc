/// A file of a written plan, before it is written.
public struct GeneratedFile: Sendable, Hashable {
    /// Its path relative to the study directory.
    public var path: String
    /// Its contents.
    public var contents: String
    /// Whether it is a script (written mode 0755, otherwise 0644).
    public var executable: Bool

    /// Creates a file.
    public init(path: String, contents: String, executable: Bool) {
        self.path = path
        self.contents = contents
        self.executable = executable
    }
}
