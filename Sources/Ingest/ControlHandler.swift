import Foundation
import WireProtocol

/// Answers a launcher's `ping` with a `status`, and a `give_up` (the launcher gave a simulation up) by marking it
/// given up, then with a `status` of sequence 0 (docs/protocol.md); anything else is counted and gets no answer.
final class ControlHandler: @unchecked Sendable {
    private let registry: IngestRegistry
    private let trainingStatus: @Sendable () -> TrainingStatus
    private let clock: @Sendable () -> Double
    private var receptionRate: ReceptionRate

    /// A handler; `clock` gives seconds on a monotonic clock (tests replace it).
    init(
        registry: IngestRegistry, trainingStatus: @escaping @Sendable () -> TrainingStatus,
        clock: @escaping @Sendable () -> Double = { Uptime.seconds() }
    ) {
        self.registry = registry
        self.trainingStatus = trainingStatus
        self.clock = clock
        self.receptionRate = ReceptionRate(start: clock())
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

    /// Significant digits of the losses in the status's `scores`.
    static let scoreDigits = 4

    func statusJSON() -> [UInt8] {
        let training = trainingStatus()
        let statistics = registry.statistics.adding(training.peers)
        let rate = receptionRate.observe(samples: statistics.samples, at: clock())
        let progress = registry.progress()
        var rejected: [String: Int] = [:]
        for reason in RejectionReason.allCases { rejected[reason.rawValue] = statistics.rejected(reason) }
        let object: [String: Any] = [
            "population": training.population,
            "received_per_s": rate,
            "trained_per_s": training.trainedPerSecond,
            "batches": training.batches,
            "validation_loss": training.validationLoss.map { $0 as Any } ?? NSNull(),
            "validation_relative_l2": training.validationRelativeL2.map { $0 as Any } ?? NSNull(),
            "validation_rmse": training.validationRMSE.map { $0 as Any } ?? NSNull(),
            "samples": statistics.samples,
            "duplicates": statistics.duplicates,
            "simulations": [
                "running": progress.running.map(Int.init),
                "finished": progress.finished.map(Int.init),
                "incomplete": progress.incomplete.map(Int.init),
                "silent": progress.silent.map { ["id": Int($0.0), "seconds": $0.1] as [String: Any] },
            ] as [String: Any],
            "rejected": rejected,
            "reception_over": registry.isReceptionOver,
            "checkpoint_failures": training.checkpointFailures,
            "last_checkpoint_error": training.lastCheckpointError.map { $0 as Any } ?? NSNull(),
        ]
        var data = Array(
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8))
        // The scores, written by hand (a large study has one per simulation), go last: `,"scores":[…]` before the
        // object's closing brace.
        if data.last == UInt8(ascii: "}") {
            data.removeLast()
            if data.count > 1 { data.append(UInt8(ascii: ",")) }
            data += Array("\"scores\":".utf8)
            data += Array(TrainingScore.jsonArray(training.scores, significantDigits: Self.scoreDigits).utf8)
            data.append(UInt8(ascii: "}"))
        }
        return data
    }
}

/// Samples received per second over a trailing window of at least `span` seconds, so that pings from several
/// clients (the launcher every T seconds, `melissa status` from a shell) do not shorten the interval to noise.
struct ReceptionRate {
    /// The shortest interval a rate is measured over, once the server has run that long.
    static let span = 5.0
    private var history: [(time: Double, samples: Int)]

    /// A rate measured from `start`, when nothing had been received.
    init(start: Double) {
        history = [(start, 0)]
    }

    /// Records `samples` received in all at `now` and returns the rate since the latest observation at least
    /// ``span`` seconds old (the oldest one while the server is younger than that).
    mutating func observe(samples: Int, at now: Double) -> Double {
        let reference = history.last { $0.time <= now - Self.span } ?? history[0]
        let rate = now > reference.time ? Double(samples - reference.samples) / (now - reference.time) : 0
        // Keep one observation older than the span, and the newer ones, so the reference stays close to it.
        if let keep = history.lastIndex(where: { $0.time <= now - Self.span }), keep > 0 {
            history.removeFirst(keep)
        }
        history.append((now, samples))
        return rate
    }
}
