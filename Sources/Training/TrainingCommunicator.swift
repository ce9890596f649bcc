/// The collective operations a data-parallel trainer needs, so that the training math stays free of MPI.
///
/// Every rank calls the same operations in the same order. A single process uses ``LocalCommunicator``; the
/// `Distributed` module implements this over MPI.
public protocol TrainingCommunicator {
    /// This process's rank, from 0.
    var rank: Int { get }
    /// The number of ranks.
    var size: Int { get }
    /// The sum of `local` over all ranks (the step's global batch size; 0 means every rank is out of data).
    func totalSamples(local: Int) throws -> Int
    /// Replaces `values` on every rank by their element-wise sum over all ranks.
    func sumInPlace(_ values: UnsafeMutableBufferPointer<Float>) throws
    /// Replaces `values` on every rank by rank 0's.
    func broadcastFromRoot(_ values: UnsafeMutableBufferPointer<Float>) throws
    /// The statistics of all ranks' `local` statistics merged in rank order (identical on every rank).
    func merge(_ local: FeatureStatistics) throws -> FeatureStatistics
}
