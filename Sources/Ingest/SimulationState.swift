/// What the registry knows of one simulation of the study.
struct SimulationState {
    /// The latest registration, if any.
    var registration: Registration?
    /// Time steps already turned into samples (by any attempt).
    var doneSteps: Set<UInt32> = []
    /// (training rank, simulation rank) pairs whose `finish` arrived for the current attempt.
    var finishes: Set<UInt64> = []
    /// All ranks finished at every training rank.
    var finished = false
    /// The launcher gave this simulation up.
    var givenUp = false
    /// Uptime (seconds) of the last message, for silence detection.
    var lastSeen: Double = 0
}
