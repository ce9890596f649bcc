/// What ``PlanWriter`` wrote.
public struct PlanWriteResult: Sendable, Hashable {
    /// The study directory (absolute).
    public var studyDirectory: String
    /// The files written, relative to the study directory, in writing order (the token only when created).
    public var files: [String]
    /// Bytes written in all.
    public var bytes: Int
    /// Whether a new token was created (false: the existing one was kept).
    public var tokenCreated: Bool
    /// The size of `plan.json` in bytes.
    public var planBytes: Int

    /// Creates a result.
    public init(studyDirectory: String, files: [String], bytes: Int, tokenCreated: Bool, planBytes: Int) {
        self.studyDirectory = studyDirectory
        self.files = files
        self.bytes = bytes
        self.tokenCreated = tokenCreated
        self.planBytes = planBytes
    }
}
