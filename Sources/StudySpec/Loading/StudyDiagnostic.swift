/// One problem found in a study file, with its place.
public struct StudyDiagnostic: Sendable, Hashable, CustomStringConvertible {
    /// The study file as the user named it.
    public var file: String
    /// 1-based line.
    public var line: Int
    /// 1-based column, counted in unicode scalars.
    public var column: Int
    /// The key path, e.g. `buffer.watermark` or `parameters.T0.uniform[1]`.
    public var path: String
    /// What is wrong and what is expected.
    public var message: String

    /// Creates a diagnostic.
    public init(file: String, line: Int, column: Int, path: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.path = path
        self.message = message
    }

    /// `file:line:column: path: message`, the form compilers use so editors can jump to it.
    public var description: String {
        path.isEmpty ? "\(file):\(line):\(column): \(message)" : "\(file):\(line):\(column): \(path): \(message)"
    }
}
