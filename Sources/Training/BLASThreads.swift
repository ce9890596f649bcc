import COpenBLAS

/// OpenBLAS's thread count (process-wide).
public enum BLASThreads {
    /// The threads OpenBLAS uses for each call.
    public static var count: Int { Int(openblas_get_num_threads()) }

    /// Sets the threads OpenBLAS uses (the study's `training.threads`).
    public static func set(_ threads: Int) {
        openblas_set_num_threads(Int32(max(1, threads)))
    }
}
