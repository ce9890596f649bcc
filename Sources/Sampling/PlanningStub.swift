// TEMPORARY stand-in for branch `sampling` (API as agreed), so Planning builds before it lands.
// Delete this file when merging `sampling`.
import Foundation

/// A parameter's value.
public enum ParameterValue: Sendable, Hashable, Codable, CustomStringConvertible {
    /// A real number.
    case real(Double)
    /// An integer.
    case integer(Int)
    /// Free text.
    case text(String)

    /// The value as it appears on command lines.
    public var description: String {
        switch self {
        case .real(let value): return value.description
        case .integer(let value): return String(value)
        case .text(let value): return value
        }
    }
}

/// How a Latin hypercube design is improved.
public enum LatinHypercubeOptimization: String, Sendable, Hashable, Codable {
    /// Plain.
    case none
    /// Maximin.
    case maximin
}

/// How Sobol points are randomised.
public enum SobolScramble: String, Sendable, Hashable, Codable {
    /// Plain.
    case none
    /// Linear matrix scramble.
    case linearMatrix
    /// Owen.
    case owen
}

/// Which sequence a sampler draws from.
public enum SamplerKind: Sendable, Hashable, Codable {
    /// Monte Carlo.
    case monteCarlo
    /// Latin hypercube.
    case latinHypercube(optimization: LatinHypercubeOptimization)
    /// Halton.
    case halton(scrambled: Bool)
    /// Sobol.
    case sobol(scramble: SobolScramble)
    /// Grid.
    case grid(levels: [Int])
}

/// Sampler state.
public struct SamplerState: Sendable, Hashable, Codable {
    /// Kind.
    public var kind: SamplerKind
    /// Dimension.
    public var dimension: Int
    /// Seed.
    public var seed: UInt64
    /// Drawn so far.
    public var drawn: Int

    /// Creates a state.
    public init(kind: SamplerKind, dimension: Int, seed: UInt64, drawn: Int = 0) {
        self.kind = kind
        self.dimension = dimension
        self.seed = seed
        self.drawn = drawn
    }
}

/// Points of the unit hypercube, row-major.
public struct PointSet: Sendable, Hashable {
    /// Dimension.
    public let dimension: Int
    /// Values.
    public var values: [Double]

    /// Creates a point set.
    public init(dimension: Int, values: [Double]) {
        self.dimension = dimension
        self.values = values
    }

    /// Number of points.
    public var count: Int { dimension > 0 ? values.count / dimension : 0 }

    /// One point.
    public subscript(point: Int) -> ArraySlice<Double> {
        values[point * dimension..<(point + 1) * dimension]
    }
}

/// Sampling errors.
public enum SamplingError: Error, Equatable, CustomStringConvertible {
    /// Bad file.
    case emptyFile
    /// Missing columns.
    case missingColumns([String])

    /// Description.
    public var description: String { "\(self)" }
}

/// A distribution.
public enum Distribution: Sendable, Hashable {
    /// Uniform.
    case uniform(lower: Double, upper: Double)
    /// Log-uniform.
    case logUniform(lower: Double, upper: Double)
    /// Normal.
    case normal(mean: Double, std: Double, lower: Double?, upper: Double?)
    /// Integers.
    case integerUniform(lower: Int, upper: Int)
    /// Choice.
    case choice([ParameterValue])

    /// The value at quantile `u`.
    public func value(atQuantile u: Double) -> ParameterValue {
        switch self {
        case .uniform(let lower, let upper): return .real(lower + u * (upper - lower))
        case .logUniform(let lower, let upper): return .real(exp(log(lower) + u * (log(upper) - log(lower))))
        case .normal(let mean, let std, _, _): return .real(mean + std * (u - 0.5))
        case .integerUniform(let lower, let upper):
            return .integer(min(upper, lower + Int(u * Double(upper - lower + 1))))
        case .choice(let values): return values[min(values.count - 1, Int(u * Double(values.count)))]
        }
    }
}

/// A resumable sampler.
public struct UnitSampler: Sendable {
    /// The state.
    public private(set) var state: SamplerState

    /// Creates a sampler.
    public init(state: SamplerState) throws {
        self.state = state
    }

    /// Draws `count` points.
    public mutating func draw(_ count: Int) throws -> PointSet {
        var values: [Double] = []
        values.reserveCapacity(count * state.dimension)
        for point in state.drawn..<(state.drawn + count) {
            for coordinate in 0..<state.dimension {
                var z = state.seed &+ UInt64(point) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(coordinate) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                z ^= z >> 31
                values.append(Double(z >> 11) / Double(1 << 53))
            }
        }
        state.drawn += count
        return PointSet(dimension: state.dimension, values: values)
    }
}

/// CSV point files.
public enum PointFile {
    /// Reads rows of `columns` from CSV text.
    public static func read(_ text: String, columns: [String]) throws -> [[ParameterValue]] {
        let lines = text.split(whereSeparator: \.isNewline).map(String.init)
        guard let header = lines.first else { throw SamplingError.emptyFile }
        let names = header.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let indices = try columns.map { column in
            guard let index = names.firstIndex(of: column) else { throw SamplingError.missingColumns([column]) }
            return index
        }
        return lines.dropFirst().map { line in
            var cells: [String] = []
            var cell = ""
            var quoted = false
            var chars = Array(line)[...]
            while let char = chars.popFirst() {
                if quoted {
                    if char == "\"" {
                        if chars.first == "\"" { cell.append("\""); chars.removeFirst() } else { quoted = false }
                    } else { cell.append(char) }
                } else if char == "\"" { quoted = true } else if char == "," { cells.append(cell); cell = "" } else {
                    cell.append(char)
                }
            }
            cells.append(cell)
            return indices.map { index in
                let text = cells[index]
                if let integer = Int(text) { return .integer(integer) }
                if let real = Double(text) { return .real(real) }
                return .text(text)
            }
        }
    }
}
