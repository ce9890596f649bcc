import Synchronization
import WireProtocol

/// The state the registration service and the data receivers share: registrations, done time steps, finishes and
/// counters, behind one mutex (held for a few dictionary operations per message).
final class IngestRegistry: Sendable {
    private struct State {
        var simulations: [UInt32: SimulationState] = [:]
        var statistics = IngestStatistics()
    }

    let configuration: IngestConfiguration
    private let state: Mutex<State>
    /// Bumped on every accepted registration, so receivers know to drop partial samples of replaced sessions.
    private let generationCounter = Atomic<Int>(0)

    init(configuration: IngestConfiguration) {
        self.configuration = configuration
        var initial = State()
        for id in configuration.simulationIDs { initial.simulations[id] = SimulationState() }
        state = Mutex(initial)
    }

    var generation: Int { generationCounter.load(ordering: .acquiring) }

    var statistics: IngestStatistics { state.withLock { $0.statistics } }

    func count(_ reason: RejectionReason) {
        state.withLock { $0.statistics.rejected[reason, default: 0] += 1 }
    }

    func countDuplicate() {
        state.withLock { $0.statistics.duplicates += 1 }
    }

    /// Accepts or refuses a decoded registration whose token was checked; counts refusals.
    func register(_ message: RegisterMessage) -> RegistrationOutcome {
        let expected = configuration
        let result = state.withLock { state -> RegistrationOutcome in
            guard var simulation = state.simulations[message.simulationID] else {
                state.statistics.rejected[.simulation, default: 0] += 1
                return .refused(
                    RefuseMessage(
                        reason: .unknownSimulation,
                        message: "the study has no simulation \(message.simulationID)"))
            }
            if message.fields != expected.fields || message.timeSteps != expected.timeSteps {
                state.statistics.rejected[.fields, default: 0] += 1
                let declared = message.fields.map { "\($0.name)[\($0.size)]" }.joined(separator: ", ")
                let wanted = expected.fields.map { "\($0.name)[\($0.size)]" }.joined(separator: ", ")
                return .refused(
                    RefuseMessage(
                        reason: .fieldMismatch,
                        message: "declared \(declared) over \(message.timeSteps) time steps; the study has \(wanted) "
                            + "over \(expected.timeSteps)"))
            }
            if simulation.finished || simulation.givenUp {
                state.statistics.rejected[.finished, default: 0] += 1
                return .refused(
                    RefuseMessage(reason: .finished, message: "simulation \(message.simulationID) already completed"))
            }
            if let current = simulation.registration {
                if current.attempt == message.attempt {
                    // A repeated register (its accept was lost): the same session again.
                    return .accepted(session: current.session)
                }
                if current.attempt > message.attempt {
                    state.statistics.rejected[.stale, default: 0] += 1
                    return .refused(
                        RefuseMessage(
                            reason: .malformed,
                            message:
                                "attempt \(message.attempt) is older than the registered attempt \(current.attempt)"
                        ))
                }
            }
            var session = UInt64.random(in: 1...UInt64.max)
            if session == simulation.registration?.session { session &+= 1 }
            simulation.registration = Registration(
                simulationID: message.simulationID, attempt: message.attempt, session: session, ranks: message.ranks)
            simulation.finishes = []
            simulation.lastSeen = Uptime.seconds()
            state.simulations[message.simulationID] = simulation
            state.statistics.registrations += 1
            return .accepted(session: session)
        }
        if case .accepted = result { generationCounter.add(1, ordering: .releasing) }
        return result
    }

    /// Checks a data or finish message's identity and notes the simulation is alive.
    func check(simulationID: UInt32, attempt: UInt32, session: UInt64, timeStep: UInt32?) -> SessionCheck {
        state.withLock { state -> SessionCheck in
            guard var simulation = state.simulations[simulationID], let registration = simulation.registration else {
                state.statistics.rejected[.session, default: 0] += 1
                return .rejected(.session)
            }
            if attempt < registration.attempt {
                state.statistics.rejected[.stale, default: 0] += 1
                return .rejected(.stale)
            }
            guard attempt == registration.attempt, session == registration.session else {
                state.statistics.rejected[.session, default: 0] += 1
                return .rejected(.session)
            }
            simulation.lastSeen = Uptime.seconds()
            let done = timeStep.map { simulation.doneSteps.contains($0) } ?? false
            state.simulations[simulationID] = simulation
            return .current(ranks: registration.ranks, stepDone: done)
        }
    }

    /// Records a complete time step; false if it already was one (then it is counted as a duplicate).
    func complete(simulationID: UInt32, timeStep: UInt32) -> Bool {
        state.withLock { state -> Bool in
            guard state.simulations[simulationID]?.doneSteps.insert(timeStep).inserted == true else {
                state.statistics.duplicates += 1
                return false
            }
            state.statistics.samples += 1
            return true
        }
    }

    /// Whether a (simulation, session) is still the current registration.
    func isCurrent(simulationID: UInt32, session: UInt64) -> Bool {
        state.withLock { $0.simulations[simulationID]?.registration?.session == session }
    }

    /// Records a rank's finish seen by a training rank; the simulation is finished once every rank's finish reached
    /// every training rank.
    func finish(simulationID: UInt32, rank: UInt32, trainingRank: Int) {
        let trainingRanks = configuration.trainingRanks
        state.withLock { state in
            guard var simulation = state.simulations[simulationID], let registration = simulation.registration else {
                return
            }
            simulation.finishes.insert(UInt64(trainingRank) << 32 | UInt64(rank))
            if simulation.finishes.count >= Int(registration.ranks) * trainingRanks { simulation.finished = true }
            state.simulations[simulationID] = simulation
        }
    }

    /// Marks time steps as already received (a restart from a checkpoint); a simulation with every step received
    /// counts as finished, so reception does not wait for it and it may not register again.
    func restore(received: [UInt32: Set<UInt32>]) {
        let timeSteps = Int(configuration.timeSteps)
        state.withLock { state in
            for (id, steps) in received {
                guard var simulation = state.simulations[id] else { continue }
                simulation.doneSteps.formUnion(steps)
                if simulation.doneSteps.count >= timeSteps { simulation.finished = true }
                state.simulations[id] = simulation
            }
        }
    }

    /// The launcher gave a simulation up: reception no longer waits for it.
    func giveUp(simulationID: UInt32) {
        state.withLock { state in state.simulations[simulationID]?.givenUp = true }
    }

    /// Every simulation finished or was given up.
    var isReceptionOver: Bool {
        state.withLock { state in state.simulations.values.allSatisfy { $0.finished || $0.givenUp } }
    }

    /// Time steps already turned into samples, per simulation.
    func doneSteps(of simulationID: UInt32) -> Set<UInt32> {
        state.withLock { $0.simulations[simulationID]?.doneSteps ?? [] }
    }

    /// Simulation ids by progress: running (registered, not finished), finished, and silent (running, quiet for
    /// longer than the timeout, with the seconds).
    func progress() -> (running: [UInt32], finished: [UInt32], silent: [(UInt32, Double)]) {
        let now = Uptime.seconds()
        let timeout = configuration.silenceTimeout
        return state.withLock { state in
            var running: [UInt32] = []
            var finished: [UInt32] = []
            var silent: [(UInt32, Double)] = []
            for (id, simulation) in state.simulations {
                if simulation.finished {
                    finished.append(id)
                } else if simulation.registration != nil && !simulation.givenUp {
                    running.append(id)
                    let quiet = now - simulation.lastSeen
                    if quiet > timeout { silent.append((id, quiet)) }
                }
            }
            return (running.sorted(), finished.sorted(), silent.sorted { $0.0 < $1.0 })
        }
    }
}
