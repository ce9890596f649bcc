import Foundation
import Yams

extension StudyParser {
    // MARK: - execution

    mutating func execution(_ node: Node, top: Fields) -> ExecutionSpec {
        var spec = ExecutionSpec()
        let allowed = ["mode", "scheduler", "concurrency", "server", "slurm", "local"]
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
        if let value = fields["concurrency"],
            let window = self.fields(value, "execution.concurrency", allowed: ["min", "max"])
        {
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
        return spec
    }
}
