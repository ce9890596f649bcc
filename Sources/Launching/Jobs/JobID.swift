/// A scheduler's job id, as Slurm writes it.
///
/// - `123`: a job (or, for a job array, the whole array as `sbatch` printed it);
/// - `123_4`: task 4 of array 123;
/// - `123_[1-5%2]`: array 123's tasks still pending, 1 to 5, at most 2 at once;
/// - `123+1`: component 1 of heterogeneous job 123;
/// - `123:4`: run 4 of worker job 123 (`execution.workers`): a simulation the worker ran, no job of the scheduler's
///   own (docs/launching.md, "Workers").
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
    /// The run of a worker job (`123:4`): the simulation it ran as its `run`-th.
    public var run: Int?

    /// Creates an id; at most one of `arrayTask`, `arrayTasks` and `component` should be set.
    public init(
        job: Int, arrayTask: Int? = nil, arrayTasks: ArrayTaskSet? = nil, component: Int? = nil, run: Int? = nil
    ) {
        self.job = job
        self.arrayTask = arrayTask
        self.arrayTasks = arrayTasks
        self.component = component
        self.run = run
    }

    /// Parses Slurm's forms (`123`, `123_4`, `123_[1-5%2]`, `123+1`) and a worker's runs (`123:4`, `123_2:4`); also
    /// takes `sbatch --parsable`'s `123;cluster`. Nil for anything else.
    public init?(_ text: some StringProtocol) {
        var text = Substring(text).trimmingSpaces
        if let semicolon = text.firstIndex(of: ";") { text = text[..<semicolon] }
        // A run's `:` follows the job's id; one inside brackets is an array step (`7_[1-7:3]`).
        if let colon = text.lastIndex(of: ":"), text.lastIndex(of: "]").map({ $0 < colon }) ?? true {
            guard let run = Int(text[text.index(after: colon)...]), run >= 0,
                var worker = JobID(text[..<colon]), worker.run == nil, worker.arrayTasks == nil
            else { return nil }
            worker.run = run
            self = worker
            return
        }
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

    /// Run `run` of this worker job (`123:4`).
    public func run(_ run: Int) -> JobID {
        JobID(job: job, arrayTask: arrayTask, component: component, run: run)
    }

    /// The worker job a run belongs to (`123` for `123:4`); nil when this is no run.
    public var worker: JobID? {
        guard run != nil else { return nil }
        return JobID(job: job, arrayTask: arrayTask, component: component)
    }

    /// One id per job this one stands for: each task of a pending array record, otherwise itself.
    public var expanded: [JobID] {
        guard let arrayTasks else { return [self] }
        return arrayTasks.indices.map { task($0) }
    }

    /// Slurm's text form (a worker's run: its job's, then `:<run>`).
    public var description: String {
        let suffix = run.map { ":\($0)" } ?? ""
        if let arrayTask { return "\(job)_\(arrayTask)" + suffix }
        if let arrayTasks { return "\(job)_\(arrayTasks)" + suffix }
        if let component { return "\(job)+\(component)" + suffix }
        return "\(job)" + suffix
    }

    /// Orders by job number, then task or component, then run.
    public static func < (lhs: JobID, rhs: JobID) -> Bool {
        (lhs.job, lhs.arrayTask ?? -1, lhs.component ?? -1, lhs.run ?? -1)
            < (rhs.job, rhs.arrayTask ?? -1, rhs.component ?? -1, rhs.run ?? -1)
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
