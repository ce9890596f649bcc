import Foundation
import Yams

extension StudyParser {
    /// Resources of a job; `tasks` false for the server, whose tasks are `training.ranks`.
    mutating func resources(_ node: Node, _ path: String, tasks: Bool) -> Resources? {
        var allowed = ["nodes", "cpus_per_task", "memory", "gpus", "walltime"]
        if tasks { allowed.insert("tasks", at: 1) }
        guard let fields = fields(node, path, allowed: allowed) else { return nil }
        var resources = Resources()
        var ok = true
        func count(_ key: String, _ minimum: Int, _ what: String, _ parser: inout StudyParser) -> Int? {
            guard let value = fields[key] else { return nil }
            let result = parser.integer(value, fields.path(key), minimum: minimum, what: what)
            if result == nil { ok = false }
            return result
        }
        if let value = count("nodes", 1, "a positive number of nodes", &self) { resources.nodes = value }
        if let value = count("tasks", 1, "a positive number of MPI tasks", &self) { resources.tasks = value }
        if let value = count("cpus_per_task", 1, "a positive number of CPUs", &self) { resources.cpusPerTask = value }
        if let value = count("gpus", 0, "a non-negative number of GPUs per node", &self) { resources.gpus = value }
        if let value = fields["memory"] {
            if let memory = memory(value, fields.path("memory")) { resources.memoryMiB = memory } else { ok = false }
        }
        if let value = fields["walltime"] {
            if let walltime = walltime(value, fields.path("walltime")) {
                resources.walltime = walltime
            } else {
                ok = false
            }
        }
        if ok, tasks, resources.tasks < resources.nodes, let node = fields["tasks"] ?? fields["nodes"] {
            let key = fields["tasks"] == nil ? "nodes" : "tasks"
            report(
                node, fields.path(key),
                "\(resources.tasks) task\(resources.tasks == 1 ? "" : "s") cannot fill \(resources.nodes) nodes; "
                    + "expected at least one task per node")
            ok = false
        }
        return ok ? resources : nil
    }
}
