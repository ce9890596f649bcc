import Transport
import WireProtocol

/// The Swift streaming client: register (rank 0), connect to the data endpoints, send time steps, finish.
///
/// ```swift
/// let registration = try StreamingClient.register(context: context, endpoint: address.registration,
///                                                 token: token, identity: identity)
/// let client = try StreamingClient(context: context, identity: identity, rank: 0, registration: registration)
/// for step in 0..<identity.timeSteps { try client.send(timeStep: step, field: 0, values: temperature) }
/// try client.finish()
/// ```
/// Blocking (sends wait when the server pushes back): use it from a dedicated thread, not from Swift's cooperative
/// pool. One client per thread; ranks of an MPI simulation each have their own.
public final class StreamingClient {
    /// Who is streaming.
    public let identity: SimulationIdentity
    /// This process's rank within the simulation.
    public let rank: UInt32
    /// The session and endpoints from registration.
    public let registration: ClientRegistration
    private let sockets: [Socket]
    private var header = [UInt8](repeating: 0, count: WireFormat.dataHeaderSize)
    private var stepsSent = Set<UInt32>()

    /// Registers `identity` at `endpoint` with the study `token` (64 hex characters) and returns the session and
    /// data endpoints; throws `.refused` with the server's reason, or `.timeout` after `timeout` seconds.
    /// With `curveServerKey` (from `server.address`), the connection is encrypted with an ephemeral key pair.
    public static func register(
        context: ZMQContext, endpoint: String, token: [UInt8], identity: SimulationIdentity, timeout: Double = 60,
        version: UInt16 = WireFormat.version, curveServerKey: String? = nil
    ) throws(StreamingClientError) -> ClientRegistration {
        let reply: [UInt8]?
        do throws(ZMQError) {
            let socket = try Socket(context: context, type: .dealer)
            defer { socket.close() }
            try socket.setOption(.linger, 0)
            if let curveServerKey {
                try socket.makeCurveClient(serverKey: curveServerKey, keyPair: CurveKeyPair.generate())
            }
            try socket.connect(endpoint)
            let message = RegisterMessage(
                token: token, simulationID: identity.simulationID, attempt: identity.attempt, ranks: identity.ranks,
                timeSteps: identity.timeSteps, fields: identity.fields)
            try socket.send(message.encoded(version: version))
            let poller = Poller(sockets: [socket])
            if try poller.poll(milliseconds: Int(timeout * 1000)) > 0 {
                reply = try socket.receiveFrames(dontWait: true)?.frames.last
            } else {
                reply = nil
            }
        } catch {
            throw .transport(error)
        }
        guard let reply else { throw .timeout(timeout) }
        let answer: WireMessage
        do throws(DecodeError) {
            answer = try WireMessage.decode(reply)
        } catch {
            throw .malformedReply(error)
        }
        switch answer {
        case .accept(let accept): return ClientRegistration(session: accept.session, endpoints: accept.endpoints)
        case .refuse(let refuse): throw .refused(refuse.reason, refuse.message)
        default: throw .malformedReply(.kind(reply.count >= 8 ? UInt16(reply[6]) | UInt16(reply[7]) << 8 : 0))
        }
    }

    /// A client for `rank` of the simulation, connected to every data endpoint of `registration`.
    ///
    /// `linger` (milliseconds) bounds how long closing waits for unsent data (-1: until it is delivered);
    /// `curveServerKey` encrypts the data connections as in `register`.
    public init(
        context: ZMQContext, identity: SimulationIdentity, rank: UInt32 = 0, registration: ClientRegistration,
        sendHighWaterMark: Int32 = 1000, linger: Int32 = -1, curveServerKey: String? = nil
    ) throws(StreamingClientError) {
        guard rank < identity.ranks else {
            throw .usage("rank \(rank) of a simulation of \(identity.ranks) ranks")
        }
        self.identity = identity
        self.rank = rank
        self.registration = registration
        var sockets: [Socket] = []
        do throws(ZMQError) {
            for endpoint in registration.endpoints {
                let socket = try Socket(context: context, type: .push)
                try socket.setOption(.sendHighWaterMark, sendHighWaterMark)
                try socket.setOption(.linger, linger)
                if let curveServerKey {
                    try socket.makeCurveClient(serverKey: curveServerKey, keyPair: CurveKeyPair.generate())
                }
                try socket.connect(endpoint)
                sockets.append(socket)
            }
        } catch {
            throw .transport(error)
        }
        self.sockets = sockets
    }

    deinit { close() }

    /// The training rank time step `timeStep` goes to: (simulation + time step) mod R.
    public func trainingRank(of timeStep: UInt32) -> Int {
        Int((UInt64(identity.simulationID) + UInt64(timeStep)) % UInt64(max(sockets.count, 1)))
    }

    /// Sends this rank's chunk of a field for a time step: `values` are elements `offset…` of the field.
    public func send(timeStep: UInt32, field: Int, values: UnsafeBufferPointer<Float>, offset: UInt64 = 0)
        throws(StreamingClientError)
    {
        try send(
            timeStep: timeStep, field: field, bytes: UnsafeRawBufferPointer(values), type: .float32,
            count: values.count, offset: offset)
    }

    /// Sends a float64 chunk (the server stores it as float32).
    public func send(timeStep: UInt32, field: Int, values: UnsafeBufferPointer<Double>, offset: UInt64 = 0)
        throws(StreamingClientError)
    {
        try send(
            timeStep: timeStep, field: field, bytes: UnsafeRawBufferPointer(values), type: .float64,
            count: values.count, offset: offset)
    }

    /// Sends a float32 chunk from an array.
    public func send(timeStep: UInt32, field: Int, values: [Float], offset: UInt64 = 0) throws(StreamingClientError) {
        let result = values.withUnsafeBufferPointer { buffer in
            Result { () throws(StreamingClientError) in
                try send(timeStep: timeStep, field: field, values: buffer, offset: offset)
            }
        }
        try result.get()
    }

    /// Sends a float64 chunk from an array.
    public func send(timeStep: UInt32, field: Int, values: [Double], offset: UInt64 = 0) throws(StreamingClientError) {
        let result = values.withUnsafeBufferPointer { buffer in
            Result { () throws(StreamingClientError) in
                try send(timeStep: timeStep, field: field, values: buffer, offset: offset)
            }
        }
        try result.get()
    }

    private func send(
        timeStep: UInt32, field: Int, bytes: UnsafeRawBufferPointer, type: ElementType, count: Int, offset: UInt64
    ) throws(StreamingClientError) {
        guard field >= 0, field < identity.fields.count else {
            throw .usage("field \(field) of \(identity.fields.count)")
        }
        guard timeStep < identity.timeSteps else {
            throw .usage("time step \(timeStep) of \(identity.timeSteps)")
        }
        guard count > 0, offset + UInt64(count) <= identity.fields[field].size else {
            throw .usage("chunk \(offset)..<\(offset + UInt64(count)) of field \(identity.fields[field].name)")
        }
        let dataHeader = DataHeader(
            simulationID: identity.simulationID, attempt: identity.attempt, session: registration.session,
            timeStep: timeStep, rank: rank, fieldIndex: UInt16(field), elementType: type,
            elementCount: UInt64(count), offset: offset)
        let socket = sockets[trainingRank(of: timeStep)]
        do throws(ZMQError) {
            let result = header.withUnsafeMutableBytes { buffer in
                dataHeader.encode(into: buffer)
                return Result { () throws(ZMQError) in try socket.send(UnsafeRawBufferPointer(buffer), more: true) }
            }
            _ = try result.get()
            try socket.send(bytes)
        } catch {
            throw .transport(error)
        }
        stepsSent.insert(timeStep)
    }

    /// Tells every training rank this rank is done (after its last data, on the same sockets, so it arrives last).
    public func finish() throws(StreamingClientError) {
        let message = FinishMessage(
            simulationID: identity.simulationID, attempt: identity.attempt, session: registration.session, rank: rank,
            timeStepsSent: UInt32(stepsSent.count))
        let bytes = message.encoded()
        do throws(ZMQError) {
            for socket in sockets { try socket.send(bytes) }
        } catch {
            throw .transport(error)
        }
    }

    /// Closes the data sockets (waiting for unsent data as `linger` says). Idempotent.
    public func close() {
        for socket in sockets { socket.close() }
    }
}
