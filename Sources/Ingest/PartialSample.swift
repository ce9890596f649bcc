import Training

/// A time step being assembled from chunks, straight into the sample's final storage.
struct PartialSample {
    /// The session whose data it holds (a new attempt's data replaces it).
    var session: UInt64
    /// The sample's values, the storage the sample keeps; only the received ranges are initialised.
    var values: FloatValues
    /// The ranges received so far (few: one per field and rank).
    var received: [ChunkRange]
    /// Elements still missing.
    var missing: Int
}
