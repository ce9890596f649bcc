/// Any single-frame message (a `data` message is its header frame here; its payload is a second frame).
public enum WireMessage: Equatable, Sendable {
    /// `register`.
    case register(RegisterMessage)
    /// `accept`.
    case accept(AcceptMessage)
    /// `refuse`.
    case refuse(RefuseMessage)
    /// The header frame of `data`.
    case data(DataHeader)
    /// `finish`.
    case finish(FinishMessage)
    /// `ping`.
    case ping(PingMessage)
    /// `status`.
    case status(StatusMessage)
    /// `give_up`.
    case giveUp(GiveUpMessage)
    /// `worker_report`.
    case workerReport(WorkerReportMessage)
    /// `worker_directive`.
    case workerDirective(WorkerDirectiveMessage)

    /// Decodes a frame of any kind.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(DecodeError) -> WireMessage {
        switch try Preamble.decode(bytes).kind {
        case .register: .register(try RegisterMessage.decode(bytes))
        case .accept: .accept(try AcceptMessage.decode(bytes))
        case .refuse: .refuse(try RefuseMessage.decode(bytes))
        case .data: .data(try DataHeader.decode(bytes))
        case .finish: .finish(try FinishMessage.decode(bytes))
        case .ping: .ping(try PingMessage.decode(bytes))
        case .status: .status(try StatusMessage.decode(bytes))
        case .giveUp: .giveUp(try GiveUpMessage.decode(bytes))
        case .workerReport: .workerReport(try WorkerReportMessage.decode(bytes))
        case .workerDirective: .workerDirective(try WorkerDirectiveMessage.decode(bytes))
        }
    }

    /// Decodes a frame of any kind from an array.
    public static func decode(_ bytes: [UInt8]) throws(DecodeError) -> WireMessage {
        try withBytes(bytes) { (buffer) throws(DecodeError) in try decode(buffer) }
    }
}
