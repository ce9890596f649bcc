import Distributed
import Training

/// The collectives the ranks of a training server need beyond the trainer's: the per-step exchange of each rank's
/// state, the agreement on completion, the distributed validation, the data endpoints and the checkpoint barrier.
/// Every rank calls the same ones in the same order, from its training thread.
protocol ServerCommunicator: TrainingCommunicator {
    /// Every rank's `values` (the same count on every rank), in rank order.
    func allGather(_ values: [Int64]) throws -> [[Int64]]
    /// Every rank's `text`, in rank order.
    func allGather(_ text: String) throws -> [String]
    /// Element-wise maximum over all ranks, in place.
    func maximumInPlace(_ values: inout [Int32]) throws
    /// Element-wise sum over all ranks, in place.
    func sumInPlace(_ values: inout [Double]) throws
    /// Waits until every rank arrives.
    func barrier() throws
}

extension LocalCommunicator: ServerCommunicator {
    func allGather(_ values: [Int64]) -> [[Int64]] { [values] }
    func allGather(_ text: String) -> [String] { [text] }
    func maximumInPlace(_ values: inout [Int32]) {}
    func sumInPlace(_ values: inout [Double]) {}
    func barrier() {}
}

extension MPICommunicator: ServerCommunicator {}
