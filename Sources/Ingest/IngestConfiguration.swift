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
    /// The MPI ranks every simulation runs on (the plan's `simulation.resources.tasks`): a `register` declaring other
    /// ranks is refused, and a training rank that never sees registrations knows how many `finish` messages end an
    /// attempt. nil: any number of ranks is accepted (the one a simulation's first `register` of an attempt declares).
    public var simulationRanks: UInt32?
    /// Training ranks: one data endpoint (PULL socket and receiving thread) each.
    public var trainingRanks: Int
    /// This process's training rank when each training rank is its own process (an MPI rank of a multi-rank server);
    /// nil when this process serves every training rank. A rank process binds only its own data socket; rank 0 also
    /// serves registration and control. A rank knows a simulation is done when it holds every time step routed to
    /// it, and authenticates data by its session (``SessionKey``) without having seen the registration.
    public var rank: Int?
    /// The parameter set a simulation's attempt runs with (0: the plan's values; k: its k-th redraw). Asked when the
    /// ingest meets an attempt newer than the simulation's current one; a new parameter set is a new run for dedupe
    /// and completion. May block briefly (it may reread a file): called on a receiving or the registration thread.
    public var parameterSet: @Sendable (_ simulationID: UInt32, _ attempt: UInt32) -> Int
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
    /// Whether a frame that holds a whole time step of float32 becomes the sample's storage (no copy; the default);
    /// false copies every payload into storage of the sample's own (`melissa-bench ingest` compares the two).
    public var keepsWholeFrames = true

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
        self.simulationRanks = nil
        self.trainingRanks = trainingRanks
        self.rank = nil
        self.parameterSet = { _, _ in 0 }
        self.host = host
        self.advertisedHost = nil
        self.studyDirectory = studyDirectory
        self.silenceTimeout = silenceTimeout
        self.receiveHighWaterMark = receiveHighWaterMark
        self.curveKeyPair = curveKeyPair
    }

    /// Time steps of `simulationID` routed to training rank `rank`: those `t` < `timeSteps` with
    /// `(simulationID + t) mod trainingRanks == rank`.
    public func share(of simulationID: UInt32, rank: Int) -> Int {
        let ranks = UInt64(max(trainingRanks, 1))
        let first = (UInt64(rank) + ranks - UInt64(simulationID) % ranks) % ranks
        guard first < UInt64(timeSteps) else { return 0 }
        return Int((UInt64(timeSteps) - 1 - first) / ranks + 1)
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
