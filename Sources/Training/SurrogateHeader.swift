/// The JSON header of a surrogate model file (see ``SurrogateFile``).
struct SurrogateHeader: Codable, Sendable, Hashable {
    /// One float32 array in the blob.
    struct Tensor: Codable, Sendable, Hashable {
        var name: String
        /// Byte offset from the start of the blob.
        var offset: Int
        /// Number of float32 values.
        var count: Int
    }

    var format: String
    var version: Int
    var architecture: MLPArchitecture
    var parameterNames: [String]
    var tensors: [Tensor]
    var metadata: [String: String]
}
