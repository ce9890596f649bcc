/// What can go wrong when setting up a sampler, drawing from it, or reading a point file.
public enum SamplingError: Error, Equatable, CustomStringConvertible {
    /// The dimension is not positive.
    case invalidDimension(Int)
    /// The sampler cannot go beyond `maximum` dimensions.
    case tooManyDimensions(sampler: String, dimension: Int, maximum: Int)
    /// A negative number of points was asked for, or the state says a negative number was drawn.
    case invalidCount(Int)
    /// The grid has one level count per dimension, and these do not match.
    case gridLevelsMismatch(levels: Int, dimension: Int)
    /// Every level count must be at least 1, and their product must fit in an `Int`.
    case invalidGridLevels([Int])
    /// The grid has `size` points, `drawn` have been handed out, and `requested` more were asked for.
    case gridExhausted(size: Int, drawn: Int, requested: Int)
    /// A distribution's parameters make no sense (the string says why).
    case invalidDistribution(String)
    /// The point file has no header row.
    case emptyFile
    /// Columns that the study needs but the point file lacks.
    case missingColumns([String])
    /// Columns of the point file that the study does not know.
    case unexpectedColumns([String])
    /// A column name appears twice in the header.
    case duplicateColumn(String)
    /// A row has a different number of cells than the header (`line` is 1-based).
    case raggedRow(line: Int, expected: Int, found: Int)
    /// A cell is empty (`line` is 1-based).
    case emptyCell(line: Int, column: String)
    /// A quoted cell is not closed on its line (`line` is 1-based).
    case unterminatedQuote(line: Int)

    /// A message that says what is wrong, where, and how to fix it.
    public var description: String {
        switch self {
        case .invalidDimension(let dimension):
            return "dimension \(dimension) is invalid: a sampler needs at least one parameter"
        case .tooManyDimensions(let sampler, let dimension, let maximum):
            return "\(sampler) supports at most \(maximum) dimensions, not \(dimension); use another sampler"
        case .invalidCount(let count):
            return "cannot draw \(count) points: counts must not be negative"
        case .gridLevelsMismatch(let levels, let dimension):
            return "the grid has \(levels) level counts but there are \(dimension) parameters; give one per parameter"
        case .invalidGridLevels(let levels):
            return
                "grid levels \(levels) are invalid: each must be at least 1 and the grid must not be astronomically large"
        case .gridExhausted(let size, let drawn, let requested):
            return
                "the grid has \(size) points, \(drawn) are drawn, and \(requested) more were asked for; add levels"
        case .invalidDistribution(let reason):
            return "invalid distribution: \(reason)"
        case .emptyFile:
            return "the point file is empty: it needs a header row of parameter names"
        case .missingColumns(let names):
            return "the point file lacks columns \(names.joined(separator: ", ")); add them to its header"
        case .unexpectedColumns(let names):
            return "the point file has columns \(names.joined(separator: ", ")) that are not parameters; remove them"
        case .duplicateColumn(let name):
            return "the header of the point file names column \(name) twice; keep one"
        case .raggedRow(let line, let expected, let found):
            return "line \(line): \(found) cells, but the header has \(expected)"
        case .emptyCell(let line, let column):
            return "line \(line): the cell of column \(column) is empty"
        case .unterminatedQuote(let line):
            return "line \(line): a quoted cell is not closed"
        }
    }
}
