import Foundation
import Synchronization
import Transport
import WireProtocol

/// The training server's data plane: the registration service, one data receiver per training rank, the control
/// channel, and `server.address`.
///
/// `start()` binds every socket (on ephemeral ports of `configuration.host`), writes `server.address` atomically and
/// starts the dedicated threads; `stop()` shuts the server's own ZeroMQ context down, which wakes and ends them.
public final class IngestServer: Sendable {
    private enum Phase {
        case idle
        case running(RegistrationService?, [DataReceiver])
        case stopped
    }

    /// The configuration the server was made with.
    public let configuration: IngestConfiguration
    private let registry: IngestRegistry
    private let sinks: [any SampleSink]
    private let trainingStatus: @Sendable () -> TrainingStatus
    private let context: ZMQContext
    private let phase = Mutex(Phase.idle)
    private let boundAddress = Mutex<ServerAddress?>(nil)

    /// A server feeding `sinks[r]` with training rank r's samples (`sinks.count` must be
    /// `configuration.trainingRanks`, or 1 for a rank process, `configuration.rank` set); `trainingStatus` fills the
    /// trainer's part of `status`.
    public init(
        configuration: IngestConfiguration, sinks: [any SampleSink],
        trainingStatus: @escaping @Sendable () -> TrainingStatus = { TrainingStatus() }
    ) throws {
        let servedRanks = configuration.rank == nil ? configuration.trainingRanks : 1
        guard configuration.trainingRanks >= 1, sinks.count == servedRanks else {
            throw IngestError.configuration(
                "\(sinks.count) sinks for \(servedRanks) training ranks served here; give one sink per rank")
        }
        if let rank = configuration.rank, !(0..<configuration.trainingRanks).contains(rank) {
            throw IngestError.configuration("rank \(rank) of \(configuration.trainingRanks) training ranks")
        }
        guard !configuration.fields.isEmpty, configuration.fields.count <= WireFormat.maximumFieldCount else {
            throw IngestError.configuration("a study needs 1…\(WireFormat.maximumFieldCount) fields")
        }
        self.configuration = configuration
        self.registry = IngestRegistry(configuration: configuration)
        self.sinks = sinks
        self.trainingStatus = trainingStatus
        self.context = try ZMQContext()
    }

    /// Binds, publishes `server.address` and starts serving; returns the endpoints. For a process serving every
    /// training rank.
    @discardableResult
    public func start() throws -> ServerAddress {
        guard configuration.rank == nil, let address = try start(gatheringEndpoints: { $0 }) else {
            throw IngestError.configuration("a rank process starts with start(gatheringEndpoints:)")
        }
        return address
    }

    /// Binds this process's data sockets, hands their endpoints to `gather` and gets back every training rank's, in
    /// rank order (a rank process: an all-gather over its MPI ranks; called on the calling thread), then, where
    /// registration is served (rank 0, or the one process), binds the registration and control sockets, publishes
    /// `server.address` and returns it; other ranks return nil. Every receiving thread is started.
    @discardableResult
    public func start(gatheringEndpoints gather: ([String]) throws -> [String]) throws -> ServerAddress? {
        try phase.withLock { phase in
            guard case .idle = phase else { throw IngestError.configuration("the server was already started") }
            let endpoint = "tcp://\(configuration.host):*"
            let curve = configuration.curveKeyPair
            if curve != nil && !ZMQContext.has("curve") {
                throw IngestError.configuration("CURVE encryption was asked for, but this libzmq has no CURVE")
            }
            func secure(_ socket: Socket) throws {
                if let curve { try socket.makeCurveServer(secretKey: curve.secretKey) }
            }
            let largestField = configuration.fields.map(\.size).max() ?? 0
            let (maximumPayload, overflow) = largestField.multipliedReportingOverflow(by: 8)
            var dataSockets: [Socket] = []
            var dataEndpoints: [String] = []
            let servedRanks = configuration.rank.map { [$0] } ?? Array(0..<configuration.trainingRanks)
            for _ in servedRanks {
                let socket = try Socket(context: context, type: .pull)
                try socket.setOption(.linger, 0)
                try socket.setOption(.receiveHighWaterMark, configuration.receiveHighWaterMark)
                // A larger frame than the largest field in float64 is hostile: libzmq drops that peer unread.
                // (The limit is per frame: never below the header's size, for fields of a few values.)
                if !overflow, maximumPayload < UInt64(Int64.max) {
                    try socket.setMaximumMessageSize(Int64(max(maximumPayload, UInt64(WireFormat.dataHeaderSize))))
                }
                try secure(socket)
                try socket.bind(endpoint)
                dataEndpoints.append(published(try socket.lastEndpoint))
                dataSockets.append(socket)
            }
            let localEndpoints = dataEndpoints
            dataEndpoints = try gather(localEndpoints)
            guard dataEndpoints.count == configuration.trainingRanks else {
                throw IngestError.configuration(
                    "\(dataEndpoints.count) data endpoints for \(configuration.trainingRanks) training ranks")
            }
            let receivers = zip(servedRanks, dataSockets).map { rank, socket in
                DataReceiver(
                    socket: socket,
                    assembler: SampleAssembler(
                        registry: registry, sink: sinks[configuration.rank == nil ? rank : 0], trainingRank: rank))
            }
            guard (configuration.rank ?? 0) == 0 else {
                for (rank, receiver) in zip(servedRanks, receivers) { receiver.start(name: "melissa-ingest-\(rank)") }
                phase = .running(nil, receivers)
                return nil
            }
            let registration = try Socket(context: context, type: .router)
            try registration.setOption(.linger, 0)
            try registration.setOption(.routerMandatory, 1)
            try registration.setMaximumMessageSize(64 * 1024)
            try secure(registration)
            try registration.bind(endpoint)
            let control = try Socket(context: context, type: .router)
            try control.setOption(.linger, 0)
            try control.setOption(.routerMandatory, 1)
            try control.setMaximumMessageSize(64 * 1024)
            try secure(control)
            try control.bind(endpoint)

            let address = ServerAddress(
                pid: Int(ProcessInfo.processInfo.processIdentifier), host: ProcessInfo.processInfo.hostName,
                registration: published(try registration.lastEndpoint), control: published(try control.lastEndpoint),
                data: dataEndpoints,
                curveServerKey: curve?.publicKey)
            let service = RegistrationService(
                registration: registration, control: control,
                registrationHandler: RegistrationHandler(registry: registry, dataEndpoints: dataEndpoints),
                controlHandler: ControlHandler(registry: registry, trainingStatus: trainingStatus))
            for (rank, receiver) in zip(servedRanks, receivers) { receiver.start(name: "melissa-ingest-\(rank)") }
            service.start()
            phase = .running(service, receivers)
            boundAddress.withLock { $0 = address }
            // Last: "listening" means the file exists.
            if let directory = configuration.studyDirectory { try address.write(toDirectory: directory) }
            return address
        }
    }

    /// `tcp://<bound host>:<port>` with the advertised host, when there is one.
    private func published(_ endpoint: String) -> String {
        guard let host = configuration.advertisedHost, let colon = endpoint.lastIndex(of: ":"),
            endpoint.hasPrefix("tcp://")
        else { return endpoint }
        return "tcp://" + host + endpoint[colon...]
    }

    /// The endpoints, once started.
    public var address: ServerAddress? { boundAddress.withLock { $0 } }

    /// Stops every thread (waiting for them) and closes every socket. Idempotent.
    public func stop() {
        let running = phase.withLock { phase -> (RegistrationService?, [DataReceiver])? in
            defer { phase = .stopped }
            if case .running(let service, let receivers) = phase { return (service, receivers) }
            return nil
        }
        context.shutdown()
        guard let (service, receivers) = running else { return }
        service?.join()
        for receiver in receivers { receiver.join() }
    }

    /// Counters: samples, duplicates, registrations, rejections by reason.
    public var statistics: IngestStatistics { registry.statistics }

    /// Every simulation of the study finished (or was given up).
    public var isReceptionOver: Bool { registry.isReceptionOver }

    /// The launcher gave a simulation up: reception no longer waits for it, and it may not register again.
    public func giveUp(simulationID: UInt32) { registry.giveUp(simulationID: simulationID) }

    /// Marks time steps as already received before serving (a restart from a checkpoint): their repeats are dropped
    /// as duplicates, and a simulation with every step received counts as finished.
    public func restore(received: [UInt32: Set<UInt32>]) { registry.restore(received: received.mapValues { [0: $0] }) }

    /// Marks time steps as already received, by simulation then parameter set (the highest one becomes the
    /// simulation's current one): see ``restore(received:)``.
    public func restore(receivedByParameterSet received: [UInt32: [Int: Set<UInt32>]]) {
        registry.restore(received: received)
    }

    /// A rank process's part of the server-wide agreement on completion: changes whenever ``localCompletion()`` does.
    public var completionVersion: Int { registry.completionVersion }

    /// A rank process's view of every simulation, in increasing id order: "given up" flags, then "not done here"
    /// flags (its share of the steps is incomplete). The element-wise maximum over all ranks goes to
    /// ``applyGlobalCompletion(_:)`` on every rank.
    public func localCompletion() -> [Int32] { registry.localCompletion() }

    /// Applies the server-wide view: simulations given up anywhere are given up, those done on every rank finished
    /// (then refused if they register again, and reception is over when all are).
    public func applyGlobalCompletion(_ global: [Int32]) { registry.applyGlobalCompletion(global) }

    /// Time steps of a simulation already turned into samples.
    public func completedTimeSteps(of simulationID: UInt32) -> Set<UInt32> { registry.doneSteps(of: simulationID) }

    /// Waits (without blocking a thread of the cooperative pool) until `condition` holds or `timeout` passes.
    public func wait(
        timeout: Duration, until condition: @Sendable (IngestServer) -> Bool = { $0.isReceptionOver }
    ) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !condition(self) {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return true
    }

    /// Serves until the task is cancelled (a service's `run()`), then stops.
    public func run() async throws {
        if case .idle = phase.withLock({ phase in phase }) { try start() }
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(100))
        }
        stop()
    }

    /// Handlers over the same registry without sockets, for in-process tests of the message handling.
    static func handlers(
        configuration: IngestConfiguration, sinks: [any SampleSink], dataEndpoints: [String]
    ) -> (RegistrationHandler, [SampleAssembler], IngestRegistry) {
        let registry = IngestRegistry(configuration: configuration)
        let assemblers = sinks.enumerated().map { SampleAssembler(registry: registry, sink: $1, trainingRank: $0) }
        return (RegistrationHandler(registry: registry, dataEndpoints: dataEndpoints), assemblers, registry)
    }
}
