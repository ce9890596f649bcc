/// A sample's float32 values in storage of their own, shared (never copied) by every copy of the value and freed with
/// the last one: either one allocation of exactly ``FloatValues/headerBytes`` plus the values (what the ingest
/// assembles chunks into, what a checkpoint restores), or memory adopted from its owner (a received ZeroMQ message,
/// whose whole payload was the sample), released when the last copy goes.
///
/// Immutable once shared: ``FloatValues/init(uninitializedCount:initializingWith:)`` and
/// ``FloatValues/unsafeMutableBuffer`` are for filling a new value before it is handed out.
public struct FloatValues: @unchecked Sendable, RandomAccessCollection, Hashable, Codable, ExpressibleByArrayLiteral,
    CustomStringConvertible
{
    /// The bytes before the values in an owned allocation (the object header and the count), measured on one: the
    /// allocation is exactly this plus 4 bytes a value (malloc adds its own chunk header, and rounds a large one up
    /// to whole pages).
    public static let headerBytes: Int = {
        let block = Block.create(minimumCapacity: 1) { _ in 1 }
        let object = UnsafeRawPointer(Unmanaged.passUnretained(block).toOpaque())
        return block.withUnsafeMutablePointerToElements { UnsafeRawPointer($0) - object }
    }()

    /// One allocation: the count, then the values.
    private final class Block: ManagedBuffer<Int, Float> {}

    private let start: UnsafeMutablePointer<Float>?
    /// The number of values.
    public let count: Int
    /// What keeps the values alive: a `Block`, or the adopted memory's owner.
    private let owner: AnyObject?

    /// `count` values, uninitialised: write each once through ``unsafeMutableBuffer`` before reading or sharing it.
    public init(uninitializedCount count: Int) {
        precondition(count >= 0)
        let block = Block.create(minimumCapacity: count) { _ in count }
        self.count = count
        owner = block
        start = block.withUnsafeMutablePointerToElements { $0 }
    }

    /// `count` values written by `initialize`, which must write every one.
    public init(uninitializedCount count: Int, initializingWith initialize: (UnsafeMutableBufferPointer<Float>) -> Void)
    {
        self.init(uninitializedCount: count)
        initialize(unsafeMutableBuffer)
    }

    /// Adopts `count` values at `start`, valid as long as `owner` lives; `owner` is released with the last copy (its
    /// deinit frees the memory, e.g. closes a ZeroMQ message).
    public init(adopting start: UnsafePointer<Float>, count: Int, owner: AnyObject & Sendable) {
        self.start = UnsafeMutablePointer(mutating: start)
        self.count = count
        self.owner = owner
    }

    /// A copy of `values` in an allocation of its own.
    public init(_ values: some Collection<Float>) {
        let count = values.count
        self.init(uninitializedCount: count) { buffer in
            if values.withContiguousStorageIfAvailable({ source in
                buffer.baseAddress?.initialize(from: source.baseAddress.unsafelyUnwrapped, count: count)
            }) == nil {
                _ = buffer.initialize(from: values)
            }
        }
    }

    /// A copy of the listed values.
    public init(arrayLiteral elements: Float...) { self.init(elements) }

    /// Whether the values live in memory adopted from its owner (a ZeroMQ message), not in an allocation of their own.
    public var isAdopted: Bool { owner != nil && !(owner is Block) }

    /// The object that keeps the values alive (for tests of their lifetime).
    public var storageOwner: AnyObject? { owner }

    /// The values' memory, for filling a value not yet shared.
    public var unsafeMutableBuffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: start, count: count)
    }

    /// Calls `body` with the values' memory.
    @inline(__always)
    public func withUnsafeBufferPointer<Result, Failure: Error>(
        _ body: (UnsafeBufferPointer<Float>) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try withExtendedLifetime(owner) { () throws(Failure) -> Result in
            try body(UnsafeBufferPointer(start: start, count: count))
        }
    }

    /// Contiguous, for the standard library's fast paths (`Array(values)`, `elementsEqual`, …).
    public func withContiguousStorageIfAvailable<Result>(
        _ body: (UnsafeBufferPointer<Float>) throws -> Result
    ) rethrows -> Result? {
        try withExtendedLifetime(owner) { try body(UnsafeBufferPointer(start: start, count: count)) }
    }

    /// 0.
    public var startIndex: Int { 0 }
    /// ``count``.
    public var endIndex: Int { count }

    /// The value at `index`.
    @inline(__always)
    public subscript(index: Int) -> Float {
        precondition(index >= 0 && index < count, "index out of range")
        return withExtendedLifetime(owner) { start.unsafelyUnwrapped[index] }
    }

    /// The values as an array (a copy).
    public var array: [Float] { Array(self) }

    /// Same values, element by element.
    public static func == (lhs: FloatValues, rhs: FloatValues) -> Bool {
        guard lhs.count == rhs.count else { return false }
        if lhs.start == rhs.start { return true }
        return lhs.withUnsafeBufferPointer { left in
            rhs.withUnsafeBufferPointer { right in left.elementsEqual(right) }
        }
    }

    /// Hashes the count and the values (as `[Float]` does).
    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        withUnsafeBufferPointer { values in
            for value in values { hasher.combine(value) }
        }
    }

    /// Encoded as an array of numbers, as `[Float]` is.
    public init(from decoder: any Decoder) throws {
        self.init(try [Float](from: decoder))
    }

    /// Encoded as an array of numbers, as `[Float]` is.
    public func encode(to encoder: any Encoder) throws {
        try Array(self).encode(to: encoder)
    }

    /// As an array prints.
    public var description: String { Array(self).description }
}
