import Foundation
import Transport
import WireProtocol

/// What the ingest must know of the study (from plan.json and the token file) and where to listen.
public struct IngestConfiguration: Sendable {
    /// The study token: the 64 hex characters of `<study dir>/token`.
    public var token: [UInt8]
    /// The simulations of the plan (training and validation).
    public var simulationIDs: Set<UInt32>
    /// The fields every simulation must declare, in order, with their global sizes.
    public var fields: [FieldDeclaration]
    /// Time steps every simulation sends.
    public var timeSteps: UInt32
    /// Training ranks: one data endpoint (PULL socket and receiving thread) each.
    public var trainingRanks: Int
    /// The address to bind (and publish): `127.0.0.1` in tests; `*` (every interface) on a cluster, with
    /// `advertisedHost` published instead.
    public var host: String
    /// The host name or address simulations connect to, written into `server.address` in place of the bound one;
    /// nil publishes the bound address.
    public var advertisedHost: String?
    /// Where to write `server.address` once bound; nil writes nothing.
    public var studyDirectory: URL?
    /// Seconds without data after which a running simulation is reported silent.
    public var silenceTimeout: Double
    /// Messages a data socket queues before its senders are pushed back (ZMQ_RCVHWM).
    public var receiveHighWaterMark: Int32
    /// The server's CURVE key pair: when set (and libzmq has CURVE), every socket requires encryption and
    /// `server.address` carries the public key.
    public var curveKeyPair: CurveKeyPair?

    /// A configuration; the defaults bind one training rank to 127.0.0.1.
    public init(
        token: [UInt8], simulationIDs: Set<UInt32>, fields: [FieldDeclaration], timeSteps: UInt32,
        trainingRanks: Int = 1, host: String = "127.0.0.1", studyDirectory: URL? = nil, silenceTimeout: Double = 60,
        receiveHighWaterMark: Int32 = 1000, curveKeyPair: CurveKeyPair? = nil
    ) {
        self.token = token
        self.simulationIDs = simulationIDs
        self.fields = fields
        self.timeSteps = timeSteps
        self.trainingRanks = trainingRanks
        self.host = host
        self.advertisedHost = nil
        self.studyDirectory = studyDirectory
        self.silenceTimeout = silenceTimeout
        self.receiveHighWaterMark = receiveHighWaterMark
        self.curveKeyPair = curveKeyPair
    }

    /// Values per sample: the sum of the field sizes.
    var sampleSize: Int {
        fields.reduce(0) { $0 + Int(clamping: $1.size) }
    }

    /// Index of each field's first value in a sample.
    var fieldOffsets: [Int] {
        var offsets: [Int] = []
        var next = 0
        for field in fields {
            offsets.append(next)
            next += Int(clamping: field.size)
        }
        return offsets
    }
}
