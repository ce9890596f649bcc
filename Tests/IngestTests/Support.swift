import Foundation
import Ingest
import MelissaClient
import Synchronization
import Transport
import WireProtocol

/// Runs blocking ZeroMQ work on a dedicated thread, never on the cooperative pool.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// Keeps every sample it gets.
final class CollectingSink: SampleSink {
    private let samples = Mutex<[Sample]>([])

    func accept(_ sample: Sample) { samples.withLock { $0.append(sample) } }

    var collected: [Sample] { samples.withLock { $0 } }
    var count: Int { samples.withLock { $0.count } }
}

let testToken = Array(String(repeating: "0123456789abcdef", count: 4).utf8)
let twoFields = [FieldDeclaration(name: "temperature", size: 64), FieldDeclaration(name: "pressure", size: 16)]

func configuration(
    simulations: Range<UInt32> = 0..<4, fields: [FieldDeclaration] = twoFields, timeSteps: UInt32 = 10,
    ranks: Int = 1
) -> IngestConfiguration {
    IngestConfiguration(
        token: testToken, simulationIDs: Set(simulations), fields: fields, timeSteps: timeSteps, trainingRanks: ranks)
}

func identity(_ simulation: UInt32, attempt: UInt32 = 0, ranks: UInt32 = 1, config: IngestConfiguration)
    -> SimulationIdentity
{
    SimulationIdentity(
        simulationID: simulation, attempt: attempt, ranks: ranks, timeSteps: config.timeSteps, fields: config.fields)
}

/// The value element `index` of `field` has at (simulation, time step): every one distinct, exact in float32.
func value(_ simulation: UInt32, _ step: UInt32, _ field: Int, _ index: Int) -> Float {
    Float(simulation) * 65_536 + Float(step) * 256 + Float(field) * 128 + Float(index) + 0.25
}

func fieldValues(_ simulation: UInt32, _ step: UInt32, _ field: Int, size: Int) -> [Float] {
    (0..<size).map { value(simulation, step, field, $0) }
}

func expectedSample(_ simulation: UInt32, _ step: UInt32, fields: [FieldDeclaration]) -> [Float] {
    fields.enumerated().flatMap { fieldValues(simulation, step, $0, size: Int($1.size)) }
}

/// Registers and streams `steps` of a simulation from one rank (blocking: call on a dedicated thread).
func stream(
    context: ZMQContext, address: ServerAddress, config: IngestConfiguration, simulation: UInt32,
    attempt: UInt32 = 0, steps: Range<UInt32>, finish: Bool = true
) throws {
    let who = identity(simulation, attempt: attempt, config: config)
    let registration = try StreamingClient.register(
        context: context, endpoint: address.registration, token: testToken, identity: who, timeout: 30)
    let client = try StreamingClient(context: context, identity: who, registration: registration)
    for step in steps {
        for (index, field) in config.fields.enumerated() {
            try client.send(
                timeStep: step, field: index, values: fieldValues(simulation, step, index, size: Int(field.size)))
        }
    }
    if finish { try client.finish() }
    client.close()
}
