import Foundation

/// One line of a study's history, for `melissa status`: a state change, a retry or a decision.
public struct JournalEvent: Sendable, Hashable {
    /// What kind of event.
    public enum Kind: String, Sendable, Hashable {
        /// A job's state changed.
        case stateChange = "state"
        /// A job was resubmitted.
        case retry
        /// The launcher decided something (free text).
        case decision
    }

    /// When it happened.
    public var at: Date
    /// Its kind.
    public var kind: Kind
    /// The simulation concerned, if any.
    public var simulationID: Int?
    /// A one-line description.
    public var message: String

    /// Creates an event.
    public init(at: Date, kind: Kind, simulationID: Int?, message: String) {
        self.at = at
        self.kind = kind
        self.simulationID = simulationID
        self.message = message
    }
}
