/// What the ranks make of one turn of the training loop.
enum StepOutcome {
    /// Some rank has samples: every rank trains a step (a rank without samples contributes none).
    case train
    /// No rank has samples yet, and reception goes on: read again.
    case idle
    /// Every rank's buffer is drained: training is over.
    case drained
    /// A stop was requested and no rank has samples: checkpoint and stop.
    case stopped
}
