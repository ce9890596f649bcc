/// A study file that cannot be used, with every problem found in it.
public struct StudyValidationError: Error, Sendable, CustomStringConvertible {
    /// The problems, in file order.
    public var diagnostics: [StudyDiagnostic]

    /// Creates the error; diagnostics are sorted by position.
    public init(diagnostics: [StudyDiagnostic]) {
        self.diagnostics = diagnostics.sorted { ($0.line, $0.column, $0.path) < ($1.line, $1.column, $1.path) }
    }

    /// One line per problem, then a count.
    public var description: String {
        let count = diagnostics.count
        let lines = diagnostics.map(\.description)
        return (lines + ["\(count) problem\(count == 1 ? "" : "s") found."]).joined(separator: "\n")
    }
}
