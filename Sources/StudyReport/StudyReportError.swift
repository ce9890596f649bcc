/// Why a report could not be written.
public enum StudyReportError: Error, CustomStringConvertible {
    /// The directory has no `plan.json`.
    case noPlan(String)

    /// What went wrong, for the command line.
    public var description: String {
        switch self {
        case .noPlan(let path): "no plan at \(path); is this a study directory (run `melissa plan` first)?"
        }
    }
}
