import Synchronization
import WireProtocol

/// The state the registration service and the data receivers share: registrations, done time steps, finishes and
/// counters, behind one mutex (held for a few dictionary operations per message).
///
/// Two modes. One process serving every training rank (`configuration.rank` nil): data must match the current
/// registration, and a simulation is finished when every rank's `finish` reached every training rank. One process per
/// training rank: a rank that never saw the registration authenticates data by its session (``SessionKey``) and
/// adopts the highest attempt it saw; it is locally done with a simulation when it holds every time step routed to it,
/// and the server-wide `finished` comes from all ranks together (``applyGlobalCompletion(_:)``).
final class IngestRegistry: Sendable {
    private struct State {
        var simulations: [UInt32: SimulationState] = [:]
        var statistics = IngestStatistics()
        /// Bumped whenever a simulation becomes locally done (or not) or is given up.
        var completionVersion = 0
    }

    let configuration: IngestConfiguration
    let sessionKey: SessionKey
    /// The plan's simulation ids, sorted: the order of ``localCompletion()``.
    let orderedIDs: [UInt32]
    private let state: Mutex<State>
    /// Bumped on every accepted registration, so receivers know to drop partial samples of replaced sessions.
    private let generationCounter = Atomic<Int>(0)

    init(configuration: IngestConfiguration) {
        self.configuration = configuration
        sessionKey = SessionKey(token: configuration.token)
        orderedIDs = configuration.simulationIDs.sorted()
        var initial = State()
        for id in configuration.simulationIDs {
            var simulation = SimulationState()
            if let rank = configuration.rank { simulation.localDone = configuration.share(of: id, rank: rank) == 0 }
            initial.simulations[id] = simulation
        }
        state = Mutex(initial)
    }

    /// One process per training rank.
    var isRankProcess: Bool { configuration.rank != nil }

    var generation: Int { generationCounter.load(ordering: .acquiring) }

    var statistics: IngestStatistics { state.withLock { $0.statistics } }

    func count(_ reason: RejectionReason) {
        state.withLock { $0.statistics.rejected[reason, default: 0] += 1 }
    }

    func countDuplicate() {
        state.withLock { $0.statistics.duplicates += 1 }
    }

    /// A new attempt of `simulation`: a new parameter set starts a new run (its done steps start empty).
    private func begin(attempt: UInt32, of id: UInt32, _ simulation: inout SimulationState, _ state: inout State) {
        let parameterSet = configuration.parameterSet(id, attempt)
        guard parameterSet != simulation.parameterSet else { return }
        simulation.parameterSet = parameterSet
        simulation.doneSteps = []
        if let rank = configuration.rank {
            let done = configuration.share(of: id, rank: rank) == 0
            if done != simulation.localDone {
                simulation.localDone = done
                state.completionVersion += 1
            }
        }
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
                    simulation.registration?.ranks = message.ranks
                    state.simulations[message.simulationID] = simulation
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
            let session = sessionKey.session(simulationID: message.simulationID, attempt: message.attempt)
            begin(attempt: message.attempt, of: message.simulationID, &simulation, &state)
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

    /// Checks a data or finish message's identity and notes the simulation is alive. A rank process adopts a newer
    /// attempt whose session is right (it never sees registrations).
    func check(simulationID: UInt32, attempt: UInt32, session: UInt64, timeStep: UInt32?) -> SessionCheck {
        var adopted = false
        let result = state.withLock { state -> SessionCheck in
            guard var simulation = state.simulations[simulationID] else {
                state.statistics.rejected[.session, default: 0] += 1
                return .rejected(.session)
            }
            if let registration = simulation.registration, attempt < registration.attempt {
                state.statistics.rejected[.stale, default: 0] += 1
                return .rejected(.stale)
            }
            if let registration = simulation.registration, attempt == registration.attempt {
                guard session == registration.session else {
                    state.statistics.rejected[.session, default: 0] += 1
                    return .rejected(.session)
                }
            } else {
                // No registration of this attempt: only a rank process accepts it, on its session alone.
                guard isRankProcess, session == sessionKey.session(simulationID: simulationID, attempt: attempt) else {
                    state.statistics.rejected[.session, default: 0] += 1
                    return .rejected(.session)
                }
                begin(attempt: attempt, of: simulationID, &simulation, &state)
                simulation.registration = Registration(
                    simulationID: simulationID, attempt: attempt, session: session, ranks: UInt32.max)
                simulation.finishes = []
                adopted = true
            }
            simulation.lastSeen = Uptime.seconds()
            let done = timeStep.map { simulation.doneSteps.contains($0) } ?? false
            let ranks = simulation.registration?.ranks ?? UInt32.max
            state.simulations[simulationID] = simulation
            return .current(ranks: ranks, stepDone: done, parameterSet: simulation.parameterSet)
        }
        if adopted { generationCounter.add(1, ordering: .releasing) }
        return result
    }

    /// Records a complete time step of `parameterSet`; false if it already was one (then it is counted as a
    /// duplicate) or the simulation moved on to another parameter set meanwhile (then it is dropped).
    func complete(simulationID: UInt32, timeStep: UInt32, parameterSet: Int = 0) -> Bool {
        state.withLock { state -> Bool in
            guard var simulation = state.simulations[simulationID], simulation.parameterSet == parameterSet else {
                return false
            }
            guard simulation.doneSteps.insert(timeStep).inserted else {
                state.statistics.duplicates += 1
                return false
            }
            if let rank = configuration.rank, !simulation.localDone,
                simulation.doneSteps.count >= configuration.share(of: simulationID, rank: rank)
            {
                simulation.localDone = true
                state.completionVersion += 1
            }
            state.simulations[simulationID] = simulation
            state.statistics.samples += 1
            return true
        }
    }

    /// Whether `session` is still the current one of `simulationID`.
    func isCurrent(simulationID: UInt32, session: UInt64) -> Bool {
        state.withLock { $0.simulations[simulationID]?.registration?.session == session }
    }

    /// Records a rank's finish seen by a training rank; the simulation is finished once every rank's finish reached
    /// every training rank. A rank process ignores it: it is done when it holds its share of the steps.
    func finish(simulationID: UInt32, rank: UInt32, trainingRank: Int) {
        guard !isRankProcess else { return }
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

    /// Marks time steps as already received (a restart from a checkpoint), by simulation then parameter set: a
    /// simulation's current parameter set becomes the highest one received. One process: a simulation with every step
    /// of it received counts as finished, so reception does not wait for it and it may not register again. A rank
    /// process: it is locally done when it holds its share (the server-wide state follows from all ranks).
    func restore(received: [UInt32: [Int: Set<UInt32>]]) {
        let timeSteps = Int(configuration.timeSteps)
        state.withLock { state in
            for (id, sets) in received {
                guard var simulation = state.simulations[id], let latest = sets.keys.max() else { continue }
                simulation.parameterSet = latest
                simulation.doneSteps = sets[latest] ?? []
                if let rank = configuration.rank {
                    simulation.localDone = simulation.doneSteps.count >= configuration.share(of: id, rank: rank)
                } else if simulation.doneSteps.count >= timeSteps {
                    simulation.finished = true
                }
                state.simulations[id] = simulation
            }
            state.completionVersion += 1
        }
    }

    /// The launcher gave a simulation up: reception no longer waits for it.
    func giveUp(simulationID: UInt32) {
        state.withLock { state in
            guard state.simulations[simulationID] != nil, state.simulations[simulationID]?.givenUp == false else {
                return
            }
            state.simulations[simulationID]?.givenUp = true
            state.completionVersion += 1
        }
    }

    /// Changes with every local completion or give-up: a rank process shares its ``localCompletion()`` when it moved.
    var completionVersion: Int { state.withLock { $0.completionVersion } }

    /// This rank's view for the server-wide agreement, in ``orderedIDs`` order: first one flag per simulation "given
    /// up" (only the rank that serves control learns it), then one "not done here" (its share is incomplete). The
    /// element-wise maximum over all ranks is the server-wide view.
    func localCompletion() -> [Int32] {
        state.withLock { state in
            orderedIDs.map { state.simulations[$0]?.givenUp == true ? 1 : 0 }
                + orderedIDs.map { state.simulations[$0]?.localDone == true ? 0 : 1 }
        }
    }

    /// Applies the server-wide view (the element-wise maximum of every rank's ``localCompletion()``): simulations
    /// given up anywhere are given up here, those done on every rank are finished.
    func applyGlobalCompletion(_ global: [Int32]) {
        let count = orderedIDs.count
        guard global.count == 2 * count else { return }
        state.withLock { state in
            for (index, id) in orderedIDs.enumerated() {
                guard var simulation = state.simulations[id] else { continue }
                if global[index] != 0 { simulation.givenUp = true }
                simulation.finished = global[count + index] == 0
                state.simulations[id] = simulation
            }
        }
    }

    /// Every simulation finished or was given up.
    var isReceptionOver: Bool {
        state.withLock { state in state.simulations.values.allSatisfy { $0.finished || $0.givenUp } }
    }

    /// Time steps of the current parameter set already turned into samples, per simulation.
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
