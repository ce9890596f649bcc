/// Constants of the wire protocol (docs/protocol.md).
public enum WireFormat {
    /// `"MLSA"`, the first four bytes of every message.
    public static let magic: [UInt8] = [0x4D, 0x4C, 0x53, 0x41]
    /// The protocol version this build speaks.
    public static let version: UInt16 = 1
    /// Size of the preamble: magic, version, kind.
    public static let preambleSize = 8
    /// Size of a study token: 64 hex characters.
    public static let tokenSize = 64
    /// Most fields a simulation may declare.
    public static let maximumFieldCount = 64
    /// Longest field name, in bytes.
    public static let maximumFieldNameLength = 255
    /// Most data endpoints (training ranks) an `accept` may carry.
    public static let maximumTrainingRanks = 4096
    /// Size of a `data` header frame.
    public static let dataHeaderSize = 56
    /// Size of a `finish` message.
    public static let finishSize = 32
    /// Size of a `ping` message.
    public static let pingSize = 16
    /// Size of a `give_up` message.
    public static let giveUpSize = 12
    /// Fixed part of a `worker_report`: preamble, token, sequence number.
    public static let workerReportHeaderSize = 80
    /// Largest message on the worker channel (its JSON object included).
    public static let maximumWorkerMessageSize = 65_536
    /// Largest `register` message: preamble, fixed part, and the most and longest field declarations.
    public static let maximumRegisterSize = 90 + maximumFieldCount * (2 + maximumFieldNameLength + 8)
}
