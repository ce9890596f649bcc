/// A job step as `squeue --steps` lists it: what an ``SrunStepAdapter`` job became inside the allocation.
public struct SlurmStep: Sendable, Hashable {
    /// Slurm's id of the step, `<job>.<step>` (a heterogeneous component's own job id: `1068.3`).
    public var id: String
    /// Its name (`srun --job-name`: the adapter's jobs are `<job name>.<job number>`).
    public var name: String
    /// The nodes it runs on, when listed.
    public var nodeList: String?

    /// Creates a step.
    public init(id: String, name: String, nodeList: String? = nil) {
        self.id = id
        self.name = name
        self.nodeList = nodeList
    }

    /// The `squeue` format the steps are read with: id, name, nodes.
    public static let squeueFormat = "%i|%j|%N"

    /// Parses `squeue --steps --noheader --format=<squeueFormat>`: one step per line (lines that are not, such as
    /// warnings, are skipped; the batch and extern steps are kept, whose names no job of the adapter has).
    public static func parse(_ text: String) -> [SlurmStep] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let fields = line.split(separator: "|", omittingEmptySubsequences: false).map { String($0.trimmingSpaces) }
            guard fields.count >= 2, fields[0].contains("."), !fields[1].isEmpty else { return nil }
            let nodes = fields.count > 2 && !fields[2].isEmpty ? fields[2] : nil
            return SlurmStep(id: fields[0], name: fields[1], nodeList: nodes)
        }
    }
}
