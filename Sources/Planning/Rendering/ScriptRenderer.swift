import Foundation
import PlanModel

/// Renders a plan's scripts and its values file from templates.
///
/// Every value a template receives is already safe where it goes: shell words are quoted (``ShellQuote``),
/// `#SBATCH` options are single tokens, setup lines are the study's own shell. Output is deterministic.
public struct ScriptRenderer: Sendable {
    /// The templates.
    public var templates: TemplateSet

    /// Creates a renderer.
    public init(templates: TemplateSet) {
        self.templates = templates
    }

    /// The scripts of `plan`, paths relative to the study directory (``PlanWriter`` writes the values file).
    public func files(for plan: Plan) throws -> [GeneratedFile] {
        var files: [GeneratedFile] = []
        files.append(GeneratedFile(path: plan.server.script, contents: try serverScript(plan), executable: true))
        if !plan.simulations.isEmpty {
            if let path = plan.scripts.simulations {
                files.append(GeneratedFile(path: path, contents: try simulationsScript(plan), executable: true))
            } else {
                let context = try simulationContext(plan)
                for job in plan.simulations {
                    let path = plan.simulationScript(job.id) ?? "scripts/simulation-\(job.id).sbatch"
                    files.append(
                        GeneratedFile(
                            path: path, contents: try simulationScript(plan, job.id, context: context),
                            executable: true))
                }
            }
        }
        if let workers = plan.workers {
            files.append(GeneratedFile(path: workers.script, contents: try workerScript(plan), executable: true))
        }
        if let allocation = plan.allocation {
            files.append(
                GeneratedFile(path: allocation.script, contents: try allocationScript(plan), executable: true))
        }
        return files
    }

    /// The batch script of a study's single allocation (`execution.slurm.allocation: single`): its components'
    /// directives (`#SBATCH hetjob` between those of a heterogeneous job), then `melissa launch`, to which it passes
    /// the walltime warning, SIGTERM and SIGINT as SIGUSR1 (checkpoint the server, stop resumably).
    public func allocationScript(_ plan: Plan) throws -> String {
        guard let allocation = plan.allocation else {
            throw PlanningError.write(path: "scripts", reason: "the plan has no single allocation")
        }
        var context = commonContext(plan, jobName: allocation.jobName, simulation: false)
        let lists = try SlurmDirectives.allocationDirectives(
            allocation, logsDirectory: plan.logsDirectory, warningSeconds: plan.warningSeconds ?? 120)
        context["components"] = lists.enumerated().map { index, directives in
            ["separator": index > 0, "directives": directives] as [String: Any]
        }
        context["layout"] =
            allocation.layout == .heterogeneous
            ? "heterogeneous: component 0 for the server and the launcher, component 1 for the simulations"
            : "plain: the server and the simulations share it"
        context["launcher_command"] = ShellQuote.words(allocation.launcherCommand)
        return try templates.render("slurm-allocation.sbatch", context)
    }

    /// A worker's script (`execution.workers`): `melissa worker` with the simulations' environment, as a Slurm batch
    /// file with a simulation's resources and the workers' walltime, or a local script.
    public func workerScript(_ plan: Plan) throws -> String {
        guard let workers = plan.workers else {
            throw PlanningError.template(name: "worker", reason: "the plan has no workers")
        }
        var context = commonContext(plan, jobName: workers.jobName, simulation: true)
        if var exports = context["exports"] as? [[String: String]] {
            exports.append(
                ["name": "MELISSA_WORKER_WALLTIME", "value": ShellQuote.word(String(workers.walltime.seconds))])
            context["exports"] = exports
        }
        context["worker_command"] = ShellQuote.words(workers.command)
        switch plan.scheduler {
        case .local:
            return try templates.render("local-worker.sh", context)
        case .slurm:
            var resources = plan.simulation.resources
            resources.walltime = workers.walltime
            context["directives"] = try SlurmDirectives.directives(
                jobName: workers.jobName,
                logsDirectory: plan.logsDirectory,
                logPattern: workers.jobName + "-%j",
                resources: resources,
                options: plan.simulationSlurm ?? .init(),
                warningSeconds: plan.warningSeconds ?? 120,
                array: nil
            )
            return try templates.render("slurm-worker.sbatch", context)
        }
    }

    /// The server's script.
    public func serverScript(_ plan: Plan) throws -> String {
        var context = commonContext(plan, jobName: plan.server.name, simulation: false)
        context["launch"] = ShellQuote.words(plan.server.launcher)
        context["server_command"] = ShellQuote.words(plan.server.command)
        // Inside a single allocation, the launcher starts the server's script itself, like the local one.
        if plan.allocation != nil { return try templates.render("local-server.sh", context) }
        switch plan.scheduler {
        case .local:
            return try templates.render("local-server.sh", context)
        case .slurm:
            context["directives"] = try SlurmDirectives.directives(
                jobName: plan.server.name,
                logsDirectory: plan.logsDirectory,
                logPattern: plan.server.name + "-%j",
                resources: plan.server.resources,
                options: plan.server.slurm ?? .init(),
                warningSeconds: plan.warningSeconds ?? 120,
                array: nil
            )
            return try templates.render("slurm-server.sbatch", context)
        }
    }

    /// The script that runs any simulation: a job array (slurm) or `simulation.sh <id>` (local, and a worker's on
    /// either scheduler: it runs the simulation where it is, with the plan's MPI launcher).
    public func simulationsScript(_ plan: Plan) throws -> String {
        var context = try simulationContext(plan)
        if plan.allocation != nil || plan.workers != nil {
            return try templates.render("local-simulation.sh", context)
        }
        switch plan.scheduler {
        case .local:
            return try templates.render("local-simulation.sh", context)
        case .slurm:
            // The file's own directive covers the first chunk; later chunks override it on the sbatch command line.
            let last = (plan.scripts.arrays.first?.count ?? plan.simulations.count) - 1
            let throttle = max(1, plan.concurrency.max)
            context["directives"] = try SlurmDirectives.directives(
                jobName: plan.simulationJobName,
                logsDirectory: plan.logsDirectory,
                logPattern: plan.simulationJobName + "-%A_%a",
                resources: plan.simulation.resources,
                options: plan.simulationSlurm ?? .init(),
                warningSeconds: plan.warningSeconds ?? 120,
                array: "0-\(last)%\(throttle)"
            )
            return try templates.render("slurm-simulations.sbatch", context)
        }
    }

    /// The batch script of one simulation (`packing: jobs`).
    public func simulationScript(_ plan: Plan, _ id: Int) throws -> String {
        try simulationScript(plan, id, context: try simulationContext(plan))
    }

    private func simulationScript(_ plan: Plan, _ id: Int, context: [String: Any]) throws -> String {
        var context = context
        context["simulation_id"] = String(id)
        context["directives"] = try SlurmDirectives.directives(
            jobName: plan.simulationJobName,
            logsDirectory: plan.logsDirectory,
            logPattern: plan.simulationJobName + "-%j",
            resources: plan.simulation.resources,
            options: plan.simulationSlurm ?? .init(),
            warningSeconds: plan.warningSeconds ?? 120,
            array: nil
        )
        return try templates.render("slurm-simulation.sbatch", context)
    }

    /// The values file: line `id + 1` is simulation `id`'s row (``SimulationRenderer/valuesRow(_:)``), read by the
    /// simulation scripts. ``PlanWriter`` writes it, with `plan.json`'s table and `parameters.csv`, in one pass.
    public func valuesFile(_ plan: Plan) throws -> String {
        for (index, job) in plan.simulations.enumerated() where job.id != index {
            throw PlanningError.write(path: plan.scripts.values, reason: "simulation ids are not 0, 1, 2…")
        }
        return PlanWriter.valuesFile(plan)
    }

    /// One simulation's shell fragment, as the scripts run it (``SimulationRenderer/line(_:)``).
    public static func commandLine(for simulation: RenderedSimulation) throws -> String {
        try SimulationRenderer.line(simulation)
    }

    /// Whether `name` is a portable environment variable name.
    static func isVariableName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic)
        else { return false }
        return name.unicodeScalars.allSatisfy {
            $0 == "_" || ($0.isASCII && $0.properties.isAlphabetic) || ("0"..."9").contains($0)
        }
    }

    private func commonContext(_ plan: Plan, jobName: String, simulation: Bool) -> [String: Any] {
        var exports: [[String: String]] = [
            ["name": "MELISSA_STUDY_DIR", "value": ShellQuote.word(plan.studyDirectory)],
            ["name": "MELISSA_SERVER_ADDRESS_FILE", "value": ShellQuote.word(plan.serverAddressFile)],
            ["name": "MELISSA_TOKEN_FILE", "value": ShellQuote.word(plan.tokenFile)],
        ]
        if simulation {
            exports.append(["name": "MELISSA_TIME_STEPS", "value": ShellQuote.word(String(plan.simulation.timeSteps))])
            exports.append(
                ["name": "MELISSA_FIELDS", "value": ShellQuote.word(plan.simulation.fields.joined(separator: ","))]
            )
            if plan.isOffline {
                // docs/offline.md: the client library writes every time step here instead of streaming it.
                exports.append(["name": "MELISSA_OFFLINE_DIR", "value": ShellQuote.word(plan.offlineDataDirectory)])
            }
        }
        // The server's MPI launcher gets SIGUSR1, which mpirun and srun forward to every rank (a SIGTERM makes mpirun
        // kill the ranks, and srun SIGKILL them, before they checkpoint); a simulation's whole group gets SIGTERM.
        let stop =
            simulation
            ? (command: #"kill -TERM -- "-$melissa_child""#, how: "SIGTERM to all of it")
            : (
                command: #"kill -USR1 "$melissa_child""#,
                how: "SIGUSR1 to the MPI launcher, which forwards it to every rank"
            )
        return [
            "where": plan.allocation == nil ? "on this machine" : "as a step of the study's Slurm allocation",
            "in_allocation": plan.allocation != nil,
            "stop_command": stop.command,
            "stop_how": stop.how,
            "study_name": String(plan.studyName.map { $0.isNewline ? "?" : $0 }),
            "study_dir": ShellQuote.word(plan.studyDirectory),
            "logs_dir": ShellQuote.word(plan.logsDirectory),
            "job_name": ShellQuote.word(jobName),
            "exports": exports,
        ]
    }

    private func simulationContext(_ plan: Plan) throws -> [String: Any] {
        var context = commonContext(plan, jobName: plan.simulationJobName, simulation: true)
        context["simulation_function"] = try SimulationRenderer(plan: plan).functionLine()
        context["values_file"] = ShellQuote.word(plan.studyDirectory + "/" + plan.scripts.values)
        context["row_words"] = String(plan.parameters.count + 1)
        context["launch"] = ShellQuote.words(plan.simulation.launcher)
        context["setup"] = plan.simulation.setup
        context["simulation_count"] = String(plan.simulations.count)
        return context
    }
}
