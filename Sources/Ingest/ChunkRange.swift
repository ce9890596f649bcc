/// The elements [start, end) of one field received for a partial sample.
struct ChunkRange {
    var field: Int
    var start: UInt64
    var end: UInt64
}
