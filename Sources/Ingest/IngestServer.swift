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
        case running(RegistrationService, [DataReceiver])
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
    /// `configuration.trainingRanks`); `trainingStatus` fills the trainer's part of `status`.
    public init(
        configuration: IngestConfiguration, sinks: [any SampleSink],
        trainingStatus: @escaping @Sendable () -> TrainingStatus = { TrainingStatus() }
    ) throws {
        guard configuration.trainingRanks >= 1, sinks.count == configuration.trainingRanks else {
            throw IngestError.configuration(
                "\(sinks.count) sinks for \(configuration.trainingRanks) training ranks; give one sink per rank")
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

    /// Binds, publishes `server.address` and starts serving; returns the endpoints.
    @discardableResult
    public func start() throws -> ServerAddress {
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
            for _ in 0..<configuration.trainingRanks {
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
            let receivers = dataSockets.enumerated().map { rank, socket in
                DataReceiver(
                    socket: socket,
                    assembler: SampleAssembler(registry: registry, sink: sinks[rank], trainingRank: rank))
            }
            for (rank, receiver) in receivers.enumerated() { receiver.start(name: "melissa-ingest-\(rank)") }
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
        let running = phase.withLock { phase -> (RegistrationService, [DataReceiver])? in
            defer { phase = .stopped }
            if case .running(let service, let receivers) = phase { return (service, receivers) }
            return nil
        }
        context.shutdown()
        guard let (service, receivers) = running else { return }
        service.join()
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
    public func restore(received: [UInt32: Set<UInt32>]) { registry.restore(received: received) }

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
