/// Everything `melissa status` reads from a study's journal, in one read: where the simulations stand, the study
/// row, the simulations given up and the retries each spent.
public struct StudyStatus: Sendable, Hashable {
    /// Where the study stands, with its latest events.
    public var summary: JournalSummary
    /// The study row (nil before a launcher started).
    public var study: JournalStudy?
    /// The simulations the launcher gave up.
    public var givenUp: Set<Int>
    /// The retries each simulation spent from its budget.
    public var spent: [Int: Int]

    /// Creates a status.
    public init(summary: JournalSummary, study: JournalStudy?, givenUp: Set<Int>, spent: [Int: Int]) {
        self.summary = summary
        self.study = study
        self.givenUp = givenUp
        self.spent = spent
    }

    /// Opens the journal of the study in `studyDirectory` and reads its status (the latest `lastEvents` events).
    public static func read(studyDirectory: String, lastEvents: Int) throws -> StudyStatus {
        try Journal(studyDirectory: studyDirectory).status(lastEvents: lastEvents)
    }
}

extension Journal {
    /// The study's status (``StudyStatus``), the latest `lastEvents` events with it.
    public func status(lastEvents: Int) throws -> StudyStatus {
        StudyStatus(
            summary: try summary(lastEvents: lastEvents), study: try study(), givenUp: try givenUpSimulations(),
            spent: try retriesSpent())
    }
}
