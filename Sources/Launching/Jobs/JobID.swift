/// A scheduler's job id, as Slurm writes it.
///
/// - `123`: a job (or, for a job array, the whole array as `sbatch` printed it);
/// - `123_4`: task 4 of array 123;
/// - `123_[1-5%2]`: array 123's tasks still pending, 1 to 5, at most 2 at once;
/// - `123+1`: component 1 of heterogeneous job 123.
///
/// A local job's id is a plain number. The text form (``description``) is the one Slurm prints, so it is the key
/// the journal keeps.
public struct JobID: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The job's (or the array's, or the heterogeneous job's) number.
    public var job: Int
    /// The array task, for one task of an array.
    public var arrayTask: Int?
    /// The array tasks a pending array record stands for (`123_[1-5%2]`).
    public var arrayTasks: ArrayTaskSet?
    /// The component of a heterogeneous job (`123+1`).
    public var component: Int?

    /// Creates an id; at most one of `arrayTask`, `arrayTasks` and `component` should be set.
    public init(job: Int, arrayTask: Int? = nil, arrayTasks: ArrayTaskSet? = nil, component: Int? = nil) {
        self.job = job
        self.arrayTask = arrayTask
        self.arrayTasks = arrayTasks
        self.component = component
    }

    /// Parses Slurm's forms (`123`, `123_4`, `123_[1-5%2]`, `123+1`); also takes `sbatch --parsable`'s
    /// `123;cluster`. Nil for anything else.
    public init?(_ text: some StringProtocol) {
        var text = Substring(text).trimmingSpaces
        if let semicolon = text.firstIndex(of: ";") { text = text[..<semicolon] }
        if let plus = text.firstIndex(of: "+") {
            guard let job = Int(text[..<plus]), let component = Int(text[text.index(after: plus)...]) else {
                return nil
            }
            self.init(job: job, component: component)
        } else if let underscore = text.firstIndex(of: "_") {
            guard let job = Int(text[..<underscore]) else { return nil }
            let rest = text[text.index(after: underscore)...]
            if let task = Int(rest) {
                self.init(job: job, arrayTask: task)
            } else if let tasks = ArrayTaskSet(rest) {
                self.init(job: job, arrayTasks: tasks)
            } else {
                return nil
            }
        } else {
            guard let job = Int(text) else { return nil }
            self.init(job: job)
        }
    }

    /// The same id for task `task` of this array.
    public func task(_ task: Int) -> JobID { JobID(job: job, arrayTask: task) }

    /// One id per job this one stands for: each task of a pending array record, otherwise itself.
    public var expanded: [JobID] {
        guard let arrayTasks else { return [self] }
        return arrayTasks.indices.map { task($0) }
    }

    /// Slurm's text form.
    public var description: String {
        if let arrayTask { return "\(job)_\(arrayTask)" }
        if let arrayTasks { return "\(job)_\(arrayTasks)" }
        if let component { return "\(job)+\(component)" }
        return "\(job)"
    }

    /// Orders by job number, then task or component.
    public static func < (lhs: JobID, rhs: JobID) -> Bool {
        (lhs.job, lhs.arrayTask ?? -1, lhs.component ?? -1) < (rhs.job, rhs.arrayTask ?? -1, rhs.component ?? -1)
    }

    /// Decodes the text form.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let id = JobID(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a job id: \(text)")
        }
        self = id
    }

    /// Encodes the text form.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
