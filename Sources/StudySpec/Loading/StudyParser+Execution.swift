import Foundation
import Yams

extension StudyParser {
    // MARK: - execution

    mutating func execution(_ node: Node, top: Fields) -> ExecutionSpec {
        var spec = ExecutionSpec()
        let allowed = ["mode", "scheduler", "concurrency", "server", "slurm", "local", "workers"]
        guard let fields = fields(node, "execution", allowed: allowed) else { return spec }
        if let value = fields["mode"], let mode = choice(value, "execution.mode", ExecutionSpec.Mode.self) {
            spec.mode = mode
        }
        if let value = fields["scheduler"],
            let scheduler = choice(value, "execution.scheduler", ExecutionSpec.Scheduler.self)
        {
            spec.scheduler = scheduler
            if scheduler == .slurm, fields.entries["slurm"] == nil {
                report(
                    value, "execution.scheduler",
                    "is `slurm` but there is no `execution.slurm` section; expected one (it may be empty: `slurm: {}`)")
            }
        }
        var maximumGiven: Node?
        if let value = fields["concurrency"],
            let window = self.fields(value, "execution.concurrency", allowed: ["min", "max"])
        {
            maximumGiven = window["max"]
            if let low = window["min"],
                let min = integer(low, window.path("min"), minimum: 1, what: "a positive number")
            {
                spec.concurrency.min = min
                spec.concurrency.max = Swift.max(spec.concurrency.max, min)
            }
            if let high = window["max"],
                let max = integer(high, window.path("max"), minimum: 1, what: "a positive number")
            {
                spec.concurrency.max = max
                if window["min"] == nil { spec.concurrency.min = Swift.min(spec.concurrency.min, max) }
                if spec.concurrency.min > max {
                    report(
                        high, window.path("max"),
                        "\(max) is smaller than execution.concurrency.min (\(spec.concurrency.min))")
                }
            }
        }
        if let value = fields["server"], let resources = resources(value, "execution.server", tasks: false) {
            spec.server = resources
        }
        if let value = fields.entries["slurm"]?.value {
            spec.slurm = value.isEmptyValue ? SlurmOptions() : slurm(value)
        }
        if let value = fields["local"],
            let local = self.fields(value, "execution.local", allowed: ["mpirun", "mpirun_arguments"])
        {
            if let mpirun = local["mpirun"], let path = string(mpirun, local.path("mpirun"), what: "an executable") {
                spec.local.mpirun = path
            }
            if let arguments = local["mpirun_arguments"],
                let values = list(
                    arguments, local.path("mpirun_arguments"), what: "arguments", singleAllowed: true,
                    item: { parser, item, path in parser.string(item, path, what: "an argument") })
            {
                spec.local.mpirunArguments = values
            }
        }
        if let value = fields.entries["workers"]?.value {
            spec.workers = workers(value, window: &spec.concurrency, maximumGiven: maximumGiven)
        }
        return spec
    }

    /// `execution.workers`: a number of workers, or a mapping with `count` and `walltime` (empty: the defaults). The
    /// window counts workers, so `count` is `execution.concurrency.max` (given both, they must agree).
    private mutating func workers(_ node: Node, window: inout Concurrency, maximumGiven: Node?) -> WorkersSpec? {
        let path = "execution.workers"
        var spec = WorkersSpec(count: window.max)
        var countNode: Node?
        if node.isEmptyValue {
            return spec
        } else if case .scalar = node {
            countNode = node
        } else {
            guard let fields = self.fields(node, path, allowed: ["count", "walltime"]) else { return nil }
            countNode = fields["count"]
            if let value = fields["walltime"] {
                guard let walltime = walltime(value, fields.path("walltime")) else { return nil }
                spec.walltime = walltime
            }
        }
        guard let countNode else { return spec }
        let countPath = node.isMapping ? path + ".count" : path
        guard let count = integer(countNode, countPath, minimum: 1, what: "a positive number of worker jobs") else {
            return nil
        }
        if let maximumGiven, count != window.max {
            report(
                countNode, countPath,
                "\(count) workers, but execution.concurrency.max is \(window.max) (line \(maximumGiven.position?.line ?? 0)); "
                    + "with workers the window counts workers: give one of them")
            return nil
        }
        if count < window.min {
            report(
                countNode, countPath,
                "\(count) workers is fewer than execution.concurrency.min (\(window.min)); expected at least that many")
            return nil
        }
        spec.count = count
        window.max = count
        return spec
    }
}
