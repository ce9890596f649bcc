/// Why a simulation runs: to feed training, or to be held out for validation.
public enum SimulationRole: String, Sendable, Hashable, Codable, CaseIterable {
    /// Its samples go into the training buffers.
    case training
    /// Its samples are kept out of training and evaluated on.
    case validation
}
