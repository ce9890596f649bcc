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
            func refuse(_ counted: RejectionReason, _ reason: RefusalReason, _ text: String) -> RegistrationOutcome {
                state.statistics.rejected[counted, default: 0] += 1
                return .refused(RefuseMessage(reason: reason, message: text))
            }
            let id = message.simulationID
            guard var simulation = state.simulations[id] else {
                return refuse(.simulation, .unknownSimulation, "the study has no simulation \(id)")
            }
            if message.fields != expected.fields || message.timeSteps != expected.timeSteps {
                let declared = message.fields.map { "\($0.name)[\($0.size)]" }.joined(separator: ", ")
                let wanted = expected.fields.map { "\($0.name)[\($0.size)]" }.joined(separator: ", ")
                return refuse(
                    .fields, .fieldMismatch,
                    "declared \(declared) over \(message.timeSteps) time steps; the study has \(wanted) over "
                        + "\(expected.timeSteps)")
            }
            if let planned = expected.simulationRanks, message.ranks != planned {
                return refuse(
                    .ranks, .ranksMismatch,
                    "declared \(message.ranks) MPI ranks; the study's simulations run on \(planned) "
                        + "(simulation.resources.tasks)")
            }
            if simulation.finished || simulation.givenUp {
                return refuse(.finished, .finished, "simulation \(id) already completed (or was given up)")
            }
            if let current = simulation.registration {
                if current.attempt == message.attempt {
                    guard current.ranks == message.ranks else {
                        return refuse(
                            .ranks, .ranksMismatch,
                            "attempt \(current.attempt) of simulation \(id) registered with \(current.ranks) MPI ranks, "
                                + "not \(message.ranks)")
                    }
                    guard !simulation.incomplete else {
                        return refuse(
                            .stale, .malformed,
                            "attempt \(current.attempt) of simulation \(id) already ended with time steps missing; "
                                + "a newer attempt may register")
                    }
                    // A repeated register (its accept was lost): the same session again.
                    return .accepted(session: current.session)
                }
                if current.attempt > message.attempt {
                    return refuse(
                        .stale, .malformed,
                        "attempt \(message.attempt) is older than the registered attempt \(current.attempt)")
                }
            }
            let session = sessionKey.session(simulationID: id, attempt: message.attempt)
            begin(attempt: message.attempt, of: id, &simulation, &state)
            simulation.registration = Registration(
                simulationID: id, attempt: message.attempt, session: session, ranks: message.ranks)
            restart(&simulation, &state)
            state.simulations[id] = simulation
            state.statistics.registrations += 1
            return .accepted(session: session)
        }
        if case .accepted = result { generationCounter.add(1, ordering: .releasing) }
        return result
    }

    /// A new attempt of `simulation` took over: no `finish` of it arrived yet, and it is not over.
    private func restart(_ simulation: inout SimulationState, _ state: inout State) {
        simulation.finishes = []
        simulation.incomplete = false
        simulation.lastSeen = Uptime.seconds()
        if simulation.localEnded {
            simulation.localEnded = false
            state.completionVersion += 1
        }
    }

    /// Whether this process accepts data of an attempt it saw no registration of, on its session alone: a training
    /// rank of a multi-rank server other than rank 0 (rank 0 serves registration, so it saw every registration).
    private var adoptsUnregisteredAttempts: Bool { (configuration.rank ?? 0) != 0 }

    /// The key of `rank`'s finish at `trainingRank` in ``SimulationState/finishes``.
    private func finishKey(rank: UInt32, trainingRank: Int) -> UInt64 { UInt64(trainingRank) << 32 | UInt64(rank) }

    /// Checks a data (`timeStep` set) or finish (`timeStep` nil) message's identity, from simulation rank `rank` on
    /// training rank `trainingRank`, and notes the simulation is alive; counts what it rejects. A training rank that
    /// never sees registrations adopts a newer attempt whose session is right. Data of a simulation that finished or
    /// was given up, or from a rank whose `finish` already reached this training rank, is rejected as `finished`.
    func check(
        simulationID: UInt32, attempt: UInt32, session: UInt64, timeStep: UInt32?, rank: UInt32, trainingRank: Int
    ) -> SessionCheck {
        var adopted = false
        let result = state.withLock { state -> SessionCheck in
            func reject(_ reason: RejectionReason) -> SessionCheck {
                state.statistics.rejected[reason, default: 0] += 1
                return .rejected(reason)
            }
            guard var simulation = state.simulations[simulationID] else { return reject(.session) }
            if let registration = simulation.registration, attempt < registration.attempt { return reject(.stale) }
            let registered = simulation.registration?.attempt == attempt
            if registered {
                guard session == simulation.registration?.session else { return reject(.session) }
            } else {
                // No registration of this attempt: only a rank that never sees registrations accepts it, on its
                // session alone.
                guard adoptsUnregisteredAttempts,
                    session == sessionKey.session(simulationID: simulationID, attempt: attempt)
                else { return reject(.session) }
            }
            if simulation.finished && !simulation.givenUp && timeStep == nil { return .over }
            if simulation.finished || simulation.givenUp { return reject(.finished) }
            if !registered {
                begin(attempt: attempt, of: simulationID, &simulation, &state)
                simulation.registration = Registration(
                    simulationID: simulationID, attempt: attempt, session: session,
                    ranks: configuration.simulationRanks ?? UInt32.max)
                restart(&simulation, &state)
                adopted = true
            } else if timeStep != nil, simulation.finishes.contains(finishKey(rank: rank, trainingRank: trainingRank)) {
                // Sent after this rank's finish (one socket keeps its order): the attempt said it was done.
                return reject(.finished)
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

    /// Whether `session` is still the current one of `simulationID`, and its attempt still going (partial samples of
    /// an attempt that is over can never complete).
    func isCurrent(simulationID: UInt32, session: UInt64) -> Bool {
        state.withLock { state in
            guard let simulation = state.simulations[simulationID] else { return false }
            return simulation.registration?.session == session && !simulation.isOver && !simulation.localEnded
        }
    }

    /// Records a rank's finish seen by a training rank. One process: once every rank's finish reached every training
    /// rank the attempt is over: the simulation is finished when every time step is a sample, incomplete otherwise
    /// (whatever the finish messages say they sent). A rank process: the attempt ended here once every rank's finish
    /// arrived (the server-wide state follows from all ranks, ``applyGlobalCompletion(_:)``).
    func finish(simulationID: UInt32, rank: UInt32, trainingRank: Int) {
        let trainingRanks = configuration.trainingRanks
        let timeSteps = Int(configuration.timeSteps)
        let ended = state.withLock { state -> Bool in
            guard var simulation = state.simulations[simulationID], let registration = simulation.registration,
                !simulation.isOver
            else { return false }
            simulation.finishes.insert(finishKey(rank: rank, trainingRank: trainingRank))
            var ended = false
            if isRankProcess {
                if !simulation.localEnded, registration.ranks != UInt32.max,
                    simulation.finishes.count >= Int(registration.ranks)
                {
                    simulation.localEnded = true
                    state.completionVersion += 1
                    ended = true
                }
            } else if simulation.finishes.count >= Int(registration.ranks) * trainingRanks {
                if simulation.doneSteps.count >= timeSteps {
                    simulation.finished = true
                } else {
                    simulation.incomplete = true
                }
                ended = true
            }
            state.simulations[simulationID] = simulation
            return ended
        }
        if ended { generationCounter.add(1, ordering: .releasing) }
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

    /// The launcher gave a simulation up: reception no longer waits for it, and its data is rejected from now on.
    func giveUp(simulationID: UInt32) {
        let changed = state.withLock { state -> Bool in
            guard state.simulations[simulationID] != nil, state.simulations[simulationID]?.givenUp == false else {
                return false
            }
            state.simulations[simulationID]?.givenUp = true
            state.completionVersion += 1
            return true
        }
        if changed { generationCounter.add(1, ordering: .releasing) }
    }

    /// Changes with every local completion or give-up: a rank process shares its ``localCompletion()`` when it moved.
    var completionVersion: Int { state.withLock { $0.completionVersion } }

    /// This rank's view for the server-wide agreement, in ``orderedIDs`` order: first one flag per simulation "given
    /// up" (only the rank that serves control learns it), then one "not done here" (its share is incomplete), then one
    /// "not ended here" (not every rank of the current attempt sent its `finish` here). The element-wise maximum over
    /// all ranks is the server-wide view.
    func localCompletion() -> [Int32] {
        state.withLock { state in
            orderedIDs.map { state.simulations[$0]?.givenUp == true ? 1 : 0 }
                + orderedIDs.map { state.simulations[$0]?.localDone == true ? 0 : 1 }
                + orderedIDs.map { state.simulations[$0]?.localEnded == true ? 0 : 1 }
        }
    }

    /// Applies the server-wide view (the element-wise maximum of every rank's ``localCompletion()``): simulations
    /// given up anywhere are given up here, those done on every rank are finished, and those whose attempt ended on
    /// every rank without being done everywhere are incomplete.
    func applyGlobalCompletion(_ global: [Int32]) {
        let count = orderedIDs.count
        guard global.count == 3 * count else { return }
        let over = state.withLock { state -> Bool in
            var over = false
            for (index, id) in orderedIDs.enumerated() {
                guard var simulation = state.simulations[id] else { continue }
                let wasOver = simulation.isOver
                if global[index] != 0 { simulation.givenUp = true }
                simulation.finished = global[count + index] == 0
                // Ended everywhere, and still here: a newer attempt that registered meanwhile is not over.
                simulation.incomplete =
                    global[2 * count + index] == 0 && simulation.localEnded && !simulation.finished
                    && !simulation.givenUp
                if simulation.isOver && !wasOver { over = true }
                state.simulations[id] = simulation
            }
            return over
        }
        if over { generationCounter.add(1, ordering: .releasing) }
    }

    /// Every simulation finished or was given up.
    var isReceptionOver: Bool {
        state.withLock { state in state.simulations.values.allSatisfy { $0.finished || $0.givenUp } }
    }

    /// Time steps of the current parameter set already turned into samples, per simulation.
    func doneSteps(of simulationID: UInt32) -> Set<UInt32> {
        state.withLock { $0.simulations[simulationID]?.doneSteps ?? [] }
    }

    /// Simulation ids by progress: running (registered, attempt going), finished, incomplete (the attempt ended with
    /// time steps missing, waiting for a newer attempt or a give-up), and silent (running, quiet for longer than the
    /// timeout, with the seconds).
    func progress() -> SimulationProgress {
        let now = Uptime.seconds()
        let timeout = configuration.silenceTimeout
        return state.withLock { state in
            var progress = SimulationProgress()
            for (id, simulation) in state.simulations {
                if simulation.finished {
                    progress.finished.append(id)
                } else if simulation.givenUp {
                    continue
                } else if simulation.incomplete {
                    progress.incomplete.append(id)
                } else if simulation.registration != nil {
                    progress.running.append(id)
                    let quiet = now - simulation.lastSeen
                    if quiet > timeout { progress.silent.append((id, quiet)) }
                }
            }
            progress.running.sort()
            progress.finished.sort()
            progress.incomplete.sort()
            progress.silent.sort { $0.0 < $1.0 }
            return progress
        }
    }
}

/// Simulation ids by progress, for the status.
struct SimulationProgress {
    var running: [UInt32] = []
    var finished: [UInt32] = []
    var incomplete: [UInt32] = []
    var silent: [(UInt32, Double)] = []
}
