/// The Slurm allocation a launcher runs in, as its batch environment says (`SLURM_JOB_ID`, `SLURM_HET_SIZE`,
/// `SLURM_JOB_ID_HET_GROUP_<n>`).
public struct SlurmAllocation: Sendable, Hashable {
    /// The job's id (a heterogeneous job's leader, component 0).
    public var jobID: String
    /// The job id of each component of a heterogeneous job, by component (`[jobID]` for a plain job). Steps of
    /// component n are `<its id>.<step>` to `squeue --steps`.
    public var componentIDs: [String]

    /// Creates an allocation.
    public init(jobID: String, componentIDs: [String]? = nil) {
        self.jobID = jobID
        self.componentIDs = componentIDs ?? [jobID]
    }

    /// The allocation `environment` describes; nil outside one (no `SLURM_JOB_ID`).
    public init?(environment: [String: String]) {
        guard let job = environment["SLURM_JOB_ID"], !job.isEmpty else { return nil }
        let size = environment["SLURM_HET_SIZE"].flatMap { Int($0) } ?? 1
        var components: [String] = []
        if size > 1 {
            for group in 0..<size {
                guard let id = environment["SLURM_JOB_ID_HET_GROUP_\(group)"] else { break }
                components.append(id)
            }
        }
        self.init(jobID: job, componentIDs: components.count == size ? components : nil)
    }

    /// Whether it is a heterogeneous job (more than one component).
    public var isHeterogeneous: Bool { componentIDs.count > 1 }
}
