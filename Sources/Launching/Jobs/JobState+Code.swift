extension JobState: CustomStringConvertible, Codable {
    /// The state with its details in one word: `failed:1`, `failed:0:9`, `cancelled:0`, `unknown:WORD`, or the
    /// ``name`` alone. The journal stores it; ``init(code:)`` reads it back.
    public var code: String {
        switch self {
        case .failed(let exitCode, let signal):
            return signal.map { "failed:\(exitCode):\($0)" } ?? "failed:\(exitCode)"
        case .cancelled(let uid):
            return uid.map { "cancelled:\($0)" } ?? "cancelled"
        case .unknown(let word):
            return "unknown:\(word)"
        default:
            return name
        }
    }

    /// Reads a state written by ``code``; nil when the text is none.
    public init?(code: String) {
        let parts = code.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        switch parts[0] {
        case "pending": self = .pending
        case "running": self = .running
        case "suspended": self = .suspended
        case "completed": self = .completed
        case "timed_out": self = .timedOut
        case "node_failure": self = .nodeFailure
        case "boot_failure": self = .bootFailure
        case "out_of_memory": self = .outOfMemory
        case "preempted": self = .preempted
        case "requeued": self = .requeued
        case "deadline": self = .deadline
        case "vanished": self = .vanished
        case "unknown":
            self = .unknown(code.dropFirst("unknown:".count).description)
        case "cancelled":
            guard parts.count <= 2 else { return nil }
            self = .cancelled(by: parts.count == 2 ? Int(parts[1]) : nil)
        case "failed":
            guard parts.count >= 2, let exitCode = Int(parts[1]) else { return nil }
            self = .failed(exitCode: exitCode, signal: parts.count == 3 ? Int(parts[2]) : nil)
        default:
            return nil
        }
    }

    /// The same as ``code``.
    public var description: String { code }

    /// Decodes a state from its ``code``.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let state = JobState(code: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a job state: \(text)")
        }
        self = state
    }

    /// Encodes the state as its ``code``.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(code)
    }
}
