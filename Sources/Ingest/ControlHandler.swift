import Foundation
import WireProtocol

/// Answers a launcher's `ping` with a `status`, and a `give_up` (the launcher gave a simulation up) by marking it
/// given up, then with a `status` of sequence 0 (docs/protocol.md); anything else is counted and gets no answer.
final class ControlHandler: @unchecked Sendable {
    private let registry: IngestRegistry
    private let trainingStatus: @Sendable () -> TrainingStatus
    private var lastSamples = 0
    private var lastTime = Uptime.seconds()

    init(registry: IngestRegistry, trainingStatus: @escaping @Sendable () -> TrainingStatus) {
        self.registry = registry
        self.trainingStatus = trainingStatus
    }

    /// The reply to `bytes`, or nil (counted) when it is not a valid ping.
    func reply(to bytes: UnsafeRawBufferPointer) -> [UInt8]? {
        do throws(DecodeError) {
            let preamble = try Preamble.decode(bytes)
            if preamble.kind == .giveUp {
                let message = try GiveUpMessage.decode(bytes)
                registry.giveUp(simulationID: message.simulationID)
                return StatusMessage(sequence: 0, json: statusJSON()).encoded()
            }
            let ping = try PingMessage.decode(bytes)
            return StatusMessage(sequence: ping.sequence, json: statusJSON()).encoded()
        } catch {
            registry.count(error.reason)
            return nil
        }
    }

    func statusJSON() -> [UInt8] {
        let training = trainingStatus()
        let statistics = registry.statistics.adding(training.peers)
        let now = Uptime.seconds()
        let rate = now > lastTime ? Double(statistics.samples - lastSamples) / (now - lastTime) : 0
        lastSamples = statistics.samples
        lastTime = now
        let progress = registry.progress()
        var rejected: [String: Int] = [:]
        for reason in RejectionReason.allCases { rejected[reason.rawValue] = statistics.rejected(reason) }
        let object: [String: Any] = [
            "population": training.population,
            "received_per_s": rate,
            "trained_per_s": training.trainedPerSecond,
            "batches": training.batches,
            "validation_loss": training.validationLoss.map { $0 as Any } ?? NSNull(),
            "samples": statistics.samples,
            "duplicates": statistics.duplicates,
            "simulations": [
                "running": progress.running.map(Int.init),
                "finished": progress.finished.map(Int.init),
                "silent": progress.silent.map { ["id": Int($0.0), "seconds": $0.1] as [String: Any] },
            ] as [String: Any],
            "rejected": rejected,
            "reception_over": registry.isReceptionOver,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Array(data)
    }
}
