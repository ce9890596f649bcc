/// The communicator of a single training process: every collective is the identity.
public struct LocalCommunicator: TrainingCommunicator, Sendable {
    /// Creates it.
    public init() {}
    /// Always 0.
    public var rank: Int { 0 }
    /// Always 1.
    public var size: Int { 1 }
    /// `local`.
    public func totalSamples(local: Int) -> Int { local }
    /// Nothing to do.
    public func sumInPlace(_ values: UnsafeMutableBufferPointer<Float>) {}
    /// Nothing to do.
    public func broadcastFromRoot(_ values: UnsafeMutableBufferPointer<Float>) {}
    /// `local`.
    public func merge(_ local: FeatureStatistics) -> FeatureStatistics { local }
}
