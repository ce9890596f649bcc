import Foundation
import Yams

extension StudyParser {
    // MARK: - execution.slurm

    mutating func slurm(_ node: Node) -> SlurmOptions? {
        let jobKeys = ["partition", "account", "qos", "constraint", "reservation", "gres", "directives"]
        let allowed =
            jobKeys + [
                "server", "packing", "launcher", "launcher_arguments", "signal_before_walltime", "max_array_size",
                "allocation", "allocation_layout",
            ]
        guard let fields = fields(node, "execution.slurm", allowed: allowed) else { return nil }
        var spec = SlurmOptions()
        spec.job = jobOptions(fields)
        if let value = fields["server"], let server = self.fields(value, "execution.slurm.server", allowed: jobKeys) {
            spec.server = jobOptions(server)
        }
        if let value = fields["packing"], let packing = choice(value, fields.path("packing"), SlurmOptions.Packing.self)
        {
            spec.packing = packing
        }
        if let value = fields["launcher"],
            let launcher = choice(value, fields.path("launcher"), SlurmOptions.Launcher.self)
        {
            spec.launcher = launcher
        }
        if let value = fields["launcher_arguments"],
            let arguments = list(
                value, fields.path("launcher_arguments"), what: "arguments", singleAllowed: true,
                item: { parser, item, path in parser.string(item, path, what: "an argument") })
        {
            spec.launcherArguments = arguments
        }
        if let value = fields["max_array_size"],
            let size = integer(
                value, fields.path("max_array_size"), minimum: 1, what: "the cluster's MaxArraySize (≥ 1)")
        {
            spec.maxArraySize = size
        }
        if let value = fields["allocation"],
            let allocation = choice(value, fields.path("allocation"), SlurmOptions.Allocation.self)
        {
            spec.allocation = allocation
        }
        if let value = fields["allocation_layout"],
            let layout = choice(value, fields.path("allocation_layout"), SlurmOptions.AllocationLayout.self)
        {
            spec.allocationLayout = layout
        }
        singleAllocationChecks(spec, fields)
        if let value = fields["signal_before_walltime"],
            let seconds = duration(value, fields.path("signal_before_walltime"))
        {
            if seconds > 65_535 {
                report(
                    value, fields.path("signal_before_walltime"),
                    "\(seconds) s is too long; Slurm accepts at most 65535 s")
            } else {
                spec.signalSecondsBeforeWalltime = seconds
            }
        }
        return spec
    }

    /// What does not go with `allocation: single` (every job a step of the study's one allocation), and
    /// `allocation_layout` without it.
    private mutating func singleAllocationChecks(_ spec: SlurmOptions, _ fields: Fields) {
        guard spec.allocation == .single else {
            if let value = fields["allocation_layout"] {
                report(
                    value, fields.path("allocation_layout"),
                    "is not used with `allocation: jobs`; it cuts a single allocation (`allocation: single`)")
            }
            return
        }
        for key in ["packing", "max_array_size"] {
            if let value = fields[key] {
                report(
                    value, fields.path(key),
                    "is not used with `allocation: single`: every simulation runs as an srun step of the allocation")
            }
        }
        if spec.launcher == .mpirun, let value = fields["launcher"] {
            report(
                value, fields.path("launcher"),
                "`mpirun` does not go with `allocation: single`; expected `srun`, which starts each job as a step of "
                    + "the allocation")
        }
    }

    /// Slurm option values go into `#SBATCH` lines: no blanks, quotes or shell characters.
    private mutating func jobOptions(_ fields: Fields) -> SlurmJobOptions {
        var options = SlurmJobOptions()
        let safe = CharacterSet(
            charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:,=+-/@%[]|&!*")
        func value(_ key: String, _ parser: inout StudyParser) -> String? {
            guard let node = fields[key], let text = parser.string(node, fields.path(key), what: "a Slurm \(key)")
            else {
                return nil
            }
            guard text.unicodeScalars.allSatisfy(safe.contains) else {
                parser.report(
                    node, fields.path(key),
                    "`\(text.replacingOccurrences(of: "\n", with: "\\n"))` holds a blank, quote or shell character; "
                        + "expected a Slurm \(key) such as `gpu`")
                return nil
            }
            return text
        }
        options.partition = value("partition", &self)
        options.account = value("account", &self)
        options.qos = value("qos", &self)
        options.constraint = value("constraint", &self)
        options.reservation = value("reservation", &self)
        options.gres = value("gres", &self)
        if let node = fields["directives"],
            let lines = list(
                node, fields.path("directives"), what: "sbatch options", singleAllowed: true,
                item: { parser, item, path in parser.directive(item, path) })
        {
            options.directives = lines
        }
        return options
    }

    private mutating func directive(_ node: Node, _ path: String) -> String? {
        guard let text = string(node, path, what: "an sbatch option such as `--exclusive`") else { return nil }
        guard text.hasPrefix("-"), !text.contains("\n"), !text.contains("\r") else {
            report(
                node, path,
                "`\(text.replacingOccurrences(of: "\n", with: "\\n"))` is not an sbatch option; expected one line starting with `-`, e.g. `--exclusive`"
            )
            return nil
        }
        return text
    }
}
