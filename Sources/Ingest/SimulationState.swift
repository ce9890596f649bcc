/// What the registry knows of one simulation of the study.
struct SimulationState {
    /// The latest registration, if any.
    var registration: Registration?
    /// The parameter set of the current attempt (0 until a redraw).
    var parameterSet = 0
    /// Time steps already turned into samples under the current parameter set (by any of its attempts).
    var doneSteps: Set<UInt32> = []
    /// One process per training rank: this rank holds every time step of the current parameter set routed to it.
    var localDone = false
    /// One process per training rank: every rank of the current attempt sent its `finish` to this rank.
    var localEnded = false
    /// (training rank, simulation rank) pairs whose `finish` arrived for the current attempt.
    var finishes: Set<UInt64> = []
    /// Done for the whole server: one process serving every rank, when all ranks' finish reached every training rank
    /// and every time step is a sample; one process per rank, when every rank reported it done
    /// (``IngestRegistry/applyGlobalCompletion(_:)``).
    var finished = false
    /// The current attempt ended (every rank's `finish` reached every training rank) with time steps missing: the
    /// launcher resubmits the simulation (a newer attempt) or gives it up. Never set together with `finished`.
    var incomplete = false
    /// The launcher gave this simulation up.
    var givenUp = false
    /// Uptime (seconds) of the last message, for silence detection.
    var lastSeen: Double = 0

    /// Whether the current attempt is over: the simulation finished, was given up, or its attempt ended incomplete.
    var isOver: Bool { finished || givenUp || incomplete }
}
