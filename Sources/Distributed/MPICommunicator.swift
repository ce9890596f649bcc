import CMPI
import Training

/// The data-parallel collectives of a ``Trainer`` over MPI_COMM_WORLD.
///
/// Gradients are summed in place with MPI_Allreduce on the flat gradient array (the trainer has already scaled each
/// rank's share by the global batch size, so the sum is the average gradient); the global batch size, which tells
/// the ranks collectively when every one of them has run out of data, is one more allreduce. Not thread-safe: use
/// it from the thread that initialised MPI unless MPI granted MPI_THREAD_SERIALIZED or more.
public final class MPICommunicator: TrainingCommunicator {
    private let runtime: MPIRuntime
    private let communicator = melissa_mpi_comm_world()

    init(runtime: MPIRuntime) {
        self.runtime = runtime
    }

    /// This process's rank.
    public var rank: Int { runtime.rank }
    /// The number of ranks.
    public var size: Int { runtime.size }

    private func checkThread(_ function: String) throws {
        guard runtime.callingThreadMayUseMPI else {
            throw MPIError(
                function: function, code: -1,
                message: "called from another thread than MPI_Init_thread's under \(runtime.threadLevel)")
        }
    }

    /// The sum of `local` over all ranks.
    public func totalSamples(local: Int) throws -> Int {
        try checkThread("MPI_Allreduce")
        var value = Int64(local)
        try withUnsafeMutablePointer(to: &value) { pointer in
            try allReduceInPlace(UnsafeMutableRawPointer(pointer), count: 1, melissa_mpi_long_long(), melissa_mpi_sum())
        }
        return Int(value)
    }

    /// MPI_Allreduce of `count` values of `type` at `base`, in place, with `operation`.
    private func allReduceInPlace(
        _ base: UnsafeMutableRawPointer, count: Int, _ type: MPI_Datatype, _ operation: MPI_Op
    ) throws {
        try MPIError.check(
            MPI_Allreduce(melissa_mpi_in_place(), base, Int32(count), type, operation, communicator), "MPI_Allreduce")
    }

    /// Element-wise sum over all ranks, in place.
    public func sumInPlace(_ values: UnsafeMutableBufferPointer<Float>) throws {
        try checkThread("MPI_Allreduce")
        guard size > 1, let base = values.baseAddress else { return }
        try allReduceInPlace(base, count: values.count, melissa_mpi_float(), melissa_mpi_sum())
    }

    /// Rank 0's values on every rank.
    public func broadcastFromRoot(_ values: UnsafeMutableBufferPointer<Float>) throws {
        try checkThread("MPI_Bcast")
        guard size > 1, let base = values.baseAddress else { return }
        try MPIError.check(
            MPI_Bcast(base, Int32(values.count), melissa_mpi_float(), 0, communicator), "MPI_Bcast")
    }

    /// All ranks' statistics, gathered and merged in rank order (so every rank gets the same bits).
    public func merge(_ local: FeatureStatistics) throws -> FeatureStatistics {
        try checkThread("MPI_Allgather")
        guard size > 1 else { return local }
        let features = local.features
        let stride = 1 + 2 * features
        let packed = [Double(local.count)] + local.mean + local.squaredDeviations
        var gathered = [Double](repeating: 0, count: stride * size)
        try packed.withUnsafeBufferPointer { send in
            try gathered.withUnsafeMutableBufferPointer { receive in
                try MPIError.check(
                    MPI_Allgather(
                        send.baseAddress, Int32(stride), melissa_mpi_double(), receive.baseAddress, Int32(stride),
                        melissa_mpi_double(), communicator),
                    "MPI_Allgather")
            }
        }
        var merged = FeatureStatistics(features: features)
        for r in 0..<size {
            let slice = gathered[(r * stride)..<((r + 1) * stride)]
            let start = slice.startIndex
            merged.merge(
                FeatureStatistics(
                    count: Int(slice[start]), mean: Array(slice[(start + 1)..<(start + 1 + features)]),
                    squaredDeviations: Array(slice[(start + 1 + features)..<(start + stride)])))
        }
        return merged
    }

    // MARK: Collectives of a multi-rank training server

    /// Every rank's `values` (the same count on every rank), in rank order.
    public func allGather(_ values: [Int64]) throws -> [[Int64]] {
        try checkThread("MPI_Allgather")
        guard size > 1 else { return [values] }
        var gathered = [Int64](repeating: 0, count: values.count * size)
        try values.withUnsafeBufferPointer { send in
            try gathered.withUnsafeMutableBufferPointer { receive in
                try MPIError.check(
                    MPI_Allgather(
                        send.baseAddress, Int32(values.count), melissa_mpi_long_long(), receive.baseAddress,
                        Int32(values.count), melissa_mpi_long_long(), communicator),
                    "MPI_Allgather")
            }
        }
        return (0..<size).map { Array(gathered[($0 * values.count)..<(($0 + 1) * values.count)]) }
    }

    /// Every rank's `text`, in rank order (texts of any length).
    public func allGather(_ text: String) throws -> [String] {
        guard size > 1 else { return [text] }
        let bytes = Array(text.utf8)
        let lengths = try allGather([Int64(bytes.count)]).map { Int($0[0]) }
        let width = max(lengths.max() ?? 0, 1)
        let padded = bytes + [UInt8](repeating: 0, count: width - bytes.count)
        var gathered = [UInt8](repeating: 0, count: width * size)
        try checkThread("MPI_Allgather")
        try padded.withUnsafeBufferPointer { send in
            try gathered.withUnsafeMutableBufferPointer { receive in
                try MPIError.check(
                    MPI_Allgather(
                        send.baseAddress, Int32(width), melissa_mpi_byte(), receive.baseAddress, Int32(width),
                        melissa_mpi_byte(), communicator),
                    "MPI_Allgather")
            }
        }
        return (0..<size).map { String(decoding: gathered[($0 * width)..<($0 * width + lengths[$0])], as: UTF8.self) }
    }

    /// Element-wise maximum over all ranks, in place.
    public func maximumInPlace(_ values: inout [Int32]) throws {
        try checkThread("MPI_Allreduce")
        guard size > 1, !values.isEmpty else { return }
        let count = values.count
        try values.withUnsafeMutableBytes { buffer in
            try allReduceInPlace(buffer.baseAddress!, count: count, melissa_mpi_int(), melissa_mpi_max())
        }
    }

    /// Element-wise sum over all ranks, in place.
    public func sumInPlace(_ values: inout [Double]) throws {
        try checkThread("MPI_Allreduce")
        guard size > 1, !values.isEmpty else { return }
        let count = values.count
        try values.withUnsafeMutableBytes { buffer in
            try allReduceInPlace(buffer.baseAddress!, count: count, melissa_mpi_double(), melissa_mpi_sum())
        }
    }

    /// Waits until every rank arrives.
    public func barrier() throws {
        try checkThread("MPI_Barrier")
        try runtime.barrier()
    }
}
