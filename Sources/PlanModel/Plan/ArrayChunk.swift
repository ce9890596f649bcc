/// One submission of the job array script: simulations `first ..< first + count`, array indices `0 ..< count`.
public struct ArrayChunk: Sendable, Hashable, Codable {
    /// The id of the chunk's first simulation (its `MELISSA_ARRAY_OFFSET`).
    public var first: Int
    /// Simulations in the chunk.
    public var count: Int

    /// Creates a chunk.
    public init(first: Int, count: Int) {
        self.first = first
        self.count = count
    }

    /// The `sbatch` arguments that submit this chunk, at most `throttle` tasks at once.
    public func sbatchArguments(throttle: Int) -> [String] {
        ["--array=0-\(count - 1)%\(max(1, throttle))", "--export=ALL,MELISSA_ARRAY_OFFSET=\(first)"]
    }
}
