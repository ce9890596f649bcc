/// Points of the unit hypercube, row-major.
public struct PointSet: Sendable, Hashable {
    /// Number of coordinates of each point.
    public let dimension: Int
    /// The coordinates, `count * dimension` of them, point after point.
    public var values: [Double]

    /// Creates a point set from row-major coordinates; `values.count` should be a multiple of `dimension`.
    public init(dimension: Int, values: [Double]) {
        self.dimension = dimension
        self.values = values
    }

    /// Number of points.
    public var count: Int { dimension > 0 ? values.count / dimension : 0 }

    /// The coordinates of one point.
    public subscript(point: Int) -> ArraySlice<Double> {
        values[point * dimension..<(point + 1) * dimension]
    }
}
