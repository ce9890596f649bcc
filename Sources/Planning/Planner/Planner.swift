import Foundation
import PlanModel
import Sampling
import StudySpec

/// Turns a study into a ``Plan``: draws the parameter sets, checks the simulation's templates (stored once, with
/// the parameter table), and assembles the job graph.
///
/// Planning is pure: it touches no scheduler and writes nothing. It reads only the point files the study names
/// (through `readFile`, which tests can replace).
public enum Planner {
    /// Plans `input`; `readFile` reads point files (default: from disk, as UTF-8).
    public static func plan(
        _ input: PlanInput,
        readFile: (URL) throws -> String = { try String(contentsOf: $0, encoding: .utf8) }
    ) throws -> Plan {
        let study = input.study
        let scheduler = input.scheduler ?? study.execution.scheduler
        let slurm = scheduler == .slurm ? (study.execution.slurm ?? SlurmOptions()) : nil
        let studyFileDirectory = input.studyFileDirectory.standardizedFileURL
        let studyDirectory = input.resolvedStudyDirectory.path
        let names = study.parameters.map(\.name)

        var training = try trainingPoints(study, studyFileDirectory: studyFileDirectory, readFile: readFile)
        var validation = try validationPoints(study, studyFileDirectory: studyFileDirectory, readFile: readFile)
        let parameters = planParameters(study.parameters, rows: [training.rows, validation.rows])
        // In place, and only the values of another type (a million rows are not copied to change none of them).
        for index in training.rows.indices { PlanParameter.conform(&training.rows[index], to: parameters) }
        for index in validation.rows.indices { PlanParameter.conform(&validation.rows[index], to: parameters) }
        for rows in [training.rows, validation.rows] {
            for row in rows {
                for case .text(let text) in row where text.unicodeScalars.contains("\0") {
                    throw PlanningError.unrepresentableValue(text, in: "a parameter value")
                }
            }
        }

        let simulationSpec = study.simulation
        let command = simulationSpec.command.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !command.contains(where: \.isNewline) else { throw PlanningError.multilineCommand }
        let templates = SimulationTemplates(
            command: command, workingDirectory: simulationSpec.workingDirectory, environment: simulationSpec.environment
        )
        let context = PlaceholderTemplate.Context(
            studyDirectory: studyDirectory,
            studyFileDirectory: studyFileDirectory.path,
            studyName: study.info.name,
            timeSteps: simulationSpec.timeSteps,
            tasks: simulationSpec.resources.tasks
        )
        // One allocation for the whole study: the server and every simulation are steps of it, started by the
        // launcher from scripts like the local ones.
        let single = slurm?.allocation == .single
        let workerSpec = study.execution.workers
        // Workers run every simulation through one script, on either scheduler: Slurm's packing does not apply.
        let packing = workerSpec == nil && !single ? slurm?.packing : nil
        let jobsPacking = packing == .jobs
        // The templates are stored once and rendered where a simulation runs; parsing them here reports an unknown
        // placeholder or an unusable variable name at plan time.
        _ = try SimulationRenderer(templates: templates, parameters: names, context: context)
        var simulations: [SimulationJob] = []
        simulations.reserveCapacity(training.rows.count + validation.rows.count)
        for values in training.rows {
            simulations.append(SimulationJob(id: simulations.count, role: .training, values: values))
        }
        for values in validation.rows {
            simulations.append(SimulationJob(id: simulations.count, role: .validation, values: values))
        }

        var settings = SimulationSettings(
            resources: simulationSpec.resources,
            retries: simulationSpec.retries,
            redrawAfter: simulationSpec.redrawAfter,
            timeoutSeconds: simulationSpec.timeoutSeconds,
            timeSteps: simulationSpec.timeSteps,
            fields: simulationSpec.fields.map(\.name),
            setup: simulationSpec.setup,
            launcher: [],
            templates: templates,
            givenUpTolerance: simulationSpec.givenUpTolerance
        )
        var serverResources = study.execution.server
        serverResources.tasks = study.training.ranks
        let allocation = try slurm.flatMap { options in
            single
                ? try allocationPlan(
                    study, options: options, server: serverResources, studyDirectory: studyDirectory,
                    launcherExecutable: input.launcherExecutable ?? input.melissaExecutable) : nil
        }
        if let allocation, let slurm {
            settings.launcher = stepLauncher(
                resources: simulationSpec.resources, group: allocation.simulationGroup,
                gres: slurm.job.gres, arguments: slurm.launcherArguments)
        } else {
            settings.launcher = launcher(
                tasks: simulationSpec.resources.tasks, slurm: slurm, local: study.execution.local)
        }
        let serverLauncher =
            if let allocation, let slurm {
                stepLauncher(
                    resources: serverResources, group: allocation.serverGroup,
                    gres: slurm.server.filled(from: slurm.job).gres, arguments: slurm.launcherArguments)
            } else {
                launcher(tasks: study.training.ranks, slurm: slurm, local: study.execution.local)
            }
        let ownJobs = slurm != nil && !single
        let server = ServerJob(
            name: study.info.name + "-server",
            ranks: study.training.ranks,
            resources: serverResources,
            slurm: slurm.map { $0.server.filled(from: $0.job) },
            launcher: serverLauncher,
            command: [input.melissaExecutable, "server", studyDirectory],
            script: ownJobs ? "scripts/server.sbatch" : "scripts/server.sh",
            fields: simulationSpec.fields,
            buffer: study.buffer,
            training: study.training,
            seed: study.info.seed
        )
        let workers = workerSpec.map { spec in
            PlanWorkers(
                count: spec.count, walltime: spec.walltime ?? serverResources.walltime,
                jobName: study.info.name + "-worker",
                script: slurm == nil ? "scripts/worker.sh" : "scripts/worker.sbatch",
                command: [input.melissaExecutable, "worker", studyDirectory])
        }
        let scripts = PlanScripts(
            server: server.script,
            simulations: !ownJobs || workers != nil
                ? "scripts/simulation.sh" : (jobsPacking ? nil : "scripts/simulations.sbatch"),
            values: "scripts/simulations.values",
            arrays: slurm.map { options in
                guard packing == .array else { return [] }
                guard let rules = study.sampler.adaptive else {
                    return PlanScripts.chunks(count: simulations.count, size: options.maxArraySize)
                }
                return adaptiveChunks(
                    initial: rules.initialCount, batch: rules.batch, training: training.rows.count,
                    total: simulations.count, size: options.maxArraySize)
            } ?? []
        )
        let templatesDirectory = study.info.templates.map {
            PlanInput.resolve($0, against: studyFileDirectory).path
        }
        return Plan(
            studyName: study.info.name,
            studyDirectory: studyDirectory,
            studyFileDirectory: studyFileDirectory.path,
            templatesDirectory: templatesDirectory,
            scheduler: scheduler,
            packing: packing,
            warningSeconds: slurm?.signalSecondsBeforeWalltime,
            concurrency: study.execution.concurrency,
            parameters: parameters,
            server: server,
            simulation: settings,
            simulationSlurm: slurm?.job,
            simulations: simulations,
            samplers: PlanSamplers(training: training.state, validation: validation.state),
            scripts: scripts,
            mode: study.execution.mode,
            adaptive: study.sampler.adaptive.map { rules in
                AdaptivePlan(
                    count: training.rows.count, initialCount: rules.initialCount, batch: rules.batch,
                    strategy: rules.strategy,
                    exploration: rules.exploration, mutation: rules.mutation, signal: rules.signal,
                    seed: (study.sampler.seed ?? study.info.seed) &+ 0x5eed)
            },
            allocation: allocation,
            workers: workers
        )
    }

    /// The single allocation of a study (`execution.slurm.allocation: single`), cut as `allocation_layout` says
    /// (`auto`: plain when the server's Slurm options, after falling back to the job-level ones, are the simulations'
    /// and neither asks for GPUs; heterogeneous otherwise) and sized from the study (docs/plan-format.md).
    static func allocationPlan(
        _ study: Study, options: SlurmOptions, server: Resources, studyDirectory: String, launcherExecutable: String
    ) throws -> AllocationPlan {
        let simulation = study.simulation.resources
        let window = study.execution.concurrency.max
        let serverOptions = options.server.filled(from: options.job)
        let layout: AllocationPlan.Layout
        let reason: String
        switch options.allocationLayout {
        case .heterogeneous: (layout, reason) = (.heterogeneous, "allocation_layout: heterogeneous")
        case .plain: (layout, reason) = (.plain, "allocation_layout: plain")
        case .auto:
            if serverOptions != options.job {
                (layout, reason) = (.heterogeneous, "the server's Slurm options differ from the simulations'")
            } else if server.gpus > 0 || simulation.gpus > 0 || options.job.gres != nil {
                (layout, reason) = (.heterogeneous, "GPUs are asked for")
            } else {
                (layout, reason) = (.plain, "the server and the simulations share their Slurm options and no GPU")
            }
        }
        let serverPart = AllocationComponent(
            holds: [.server], minimumNodes: server.nodes, maximumNodes: server.nodes, tasks: server.tasks,
            cpusPerTask: server.cpusPerTask, memoryPerCpuMib: AllocationComponent.memoryPerCpu(of: server),
            gpus: server.gpus, slurm: serverOptions)
        let simulationsPart = AllocationComponent(
            holds: [.simulations], minimumNodes: simulation.nodes, maximumNodes: window * simulation.nodes,
            tasks: window * simulation.tasks, cpusPerTask: simulation.cpusPerTask,
            memoryPerCpuMib: AllocationComponent.memoryPerCpu(of: simulation), gpus: simulation.gpus,
            slurm: options.job)
        let components: [AllocationComponent]
        switch layout {
        case .heterogeneous: components = [serverPart, simulationsPart]
        case .plain:
            let memory = [serverPart.memoryPerCpuMib, simulationsPart.memoryPerCpuMib].compactMap { $0 }.max()
            components = [
                AllocationComponent(
                    holds: [.server, .simulations],
                    minimumNodes: max(serverPart.minimumNodes, simulationsPart.minimumNodes),
                    maximumNodes: serverPart.maximumNodes + simulationsPart.maximumNodes,
                    tasks: serverPart.tasks + simulationsPart.tasks,
                    cpusPerTask: max(serverPart.cpusPerTask, simulationsPart.cpusPerTask), memoryPerCpuMib: memory,
                    gpus: max(serverPart.gpus, simulationsPart.gpus), slurm: options.job)
            ]
        }
        let name = study.info.name
        return AllocationPlan(
            layout: layout, reason: reason, jobName: name + "-allocation",
            script: "scripts/\(name)-allocation.sbatch",
            launcherCommand: [launcherExecutable, "launch", studyDirectory, "--resume"],
            walltime: server.walltime, components: components)
    }

    /// The `srun` that starts a job of `resources` as a step of the study's allocation: in its heterogeneous
    /// component `group` (none in a plain allocation), with exactly its resources (`--exact`: steps side by side),
    /// its memory per CPU, its GPUs, then the study's `launcher_arguments`.
    static func stepLauncher(resources: Resources, group: Int?, gres: String?, arguments: [String]) -> [String] {
        var words = ["srun"]
        if let group { words.append("--het-group=\(group)") }
        words += [
            "--exact", "--nodes=\(resources.nodes)", "--ntasks=\(resources.tasks)",
            "--cpus-per-task=\(resources.cpusPerTask)",
        ]
        if let memory = AllocationComponent.memoryPerCpu(of: resources) { words.append("--mem-per-cpu=\(memory)M") }
        if let gres {
            words.append("--gres=\(gres)")
        } else if resources.gpus > 0 {
            words.append("--gpus-per-node=\(resources.gpus)")
        }
        return words + arguments
    }

    /// The job arrays of an adaptive study: the initial design (split at `size`), then one small array per batch,
    /// then the validation simulations; each is submitted once its simulations are chosen.
    static func adaptiveChunks(initial: Int, batch: Int, training: Int, total: Int, size: Int) -> [ArrayChunk] {
        var chunks = PlanScripts.chunks(count: initial, size: size)
        var first = initial
        while first < training {
            let count = min(batch, training - first)
            chunks.append(ArrayChunk(first: first, count: count))
            first += count
        }
        if total > training {
            chunks += PlanScripts.chunks(count: total - training, size: size).map {
                ArrayChunk(first: $0.first + training, count: $0.count)
            }
        }
        return chunks
    }

    /// Parameter sets and the state of the sampler that drew them (nil when read from a file).
    struct Points {
        var rows: [[ParameterValue]]
        var state: SamplerState?
    }

    static func trainingPoints(
        _ study: Study, studyFileDirectory: URL, readFile: (URL) throws -> String
    ) throws -> Points {
        let sampler = study.sampler
        if sampler.kind == .file {
            let rows = try readPointFile(sampler.file ?? "", study: study, directory: studyFileDirectory, readFile)
            return Points(rows: rows, state: nil)
        }
        var count = sampler.count
        let kind: SamplerKind
        // An adaptive study draws its initial design and, for its slots, the same sequence's next points (the
        // sets an exploration slot runs with).
        let samplerKind = sampler.adaptive.map { $0.initialKind } ?? sampler.kind
        let scramble = sampler.adaptive.map { $0.initialScramble } ?? sampler.scramble
        switch samplerKind {
        case .monteCarlo: kind = .monteCarlo
        case .latinHypercube:
            kind = .latinHypercube(optimization: sampler.optimization == .maximin ? .maximin : .none)
        case .halton: kind = .halton(scrambled: scramble != .none)
        case .sobol:
            switch scramble {
            case .none: kind = .sobol(scramble: .none)
            case .linearMatrix: kind = .sobol(scramble: .linearMatrix)
            case .owen: kind = .sobol(scramble: .owen)
            }
        case .grid, .file, .adaptive:
            let levels = try gridLevels(study)
            count = levels.reduce(1, *)
            kind = .grid(levels: levels)
        }
        let state = SamplerState(
            kind: kind, dimension: study.parameters.count, seed: sampler.seed ?? study.info.seed, drawn: 0
        )
        return try draw(count, state: state, parameters: study.parameters)
    }

    static func validationPoints(
        _ study: Study, studyFileDirectory: URL, readFile: (URL) throws -> String
    ) throws -> Points {
        let validation = study.training.validation
        if let file = validation.file {
            return Points(
                rows: try readPointFile(file, study: study, directory: studyFileDirectory, readFile), state: nil)
        }
        guard validation.simulations > 0 else { return Points(rows: [], state: nil) }
        // Held-out points are independent Monte Carlo draws: a low-discrepancy sequence with another seed
        // could repeat the training points (an unscrambled Sobol sequence ignores its seed).
        let state = SamplerState(
            kind: .monteCarlo,
            dimension: study.parameters.count,
            seed: validation.seed ?? (study.info.seed &+ 1),
            drawn: 0
        )
        return try draw(validation.simulations, state: state, parameters: study.parameters)
    }

    static func draw(_ count: Int, state: SamplerState, parameters: [Parameter]) throws -> Points {
        let distributions = parameters.map { distribution($0.distribution) }
        var sampler: UnitSampler
        let points: PointSet
        do {
            sampler = try UnitSampler(state: state)
            points = try sampler.draw(count)
        } catch {
            throw PlanningError.sampler(String(describing: error))
        }
        var rows: [[ParameterValue]] = []
        rows.reserveCapacity(count)
        for index in 0..<points.count {
            // Exactly as long as the parameters (a map over a zip grows its array by doubling).
            var row: [ParameterValue] = []
            row.reserveCapacity(distributions.count)
            for (distribution, quantile) in zip(distributions, points[index]) {
                row.append(distribution.value(atQuantile: quantile))
            }
            rows.append(row)
        }
        return Points(rows: rows, state: sampler.state)
    }

    static func gridLevels(_ study: Study) throws -> [Int] {
        if !study.sampler.levels.isEmpty { return study.sampler.levels }
        return try study.parameters.map { parameter in
            switch parameter.distribution {
            case .choice(let values): return values.count
            case .integerUniform(let lower, let upper): return upper - lower + 1
            default: throw PlanningError.missingGridLevels(parameter: parameter.name)
            }
        }
    }

    static func readPointFile(
        _ path: String, study: Study, directory: URL, _ readFile: (URL) throws -> String
    ) throws -> [[ParameterValue]] {
        let url = PlanInput.resolve(path, against: directory)
        do {
            return try PointFile.read(try readFile(url), columns: study.parameters.map(\.name))
        } catch {
            throw PlanningError.pointFile(path: url.path, reason: String(describing: error))
        }
    }

    static func distribution(_ spec: DistributionSpec) -> Distribution {
        switch spec {
        case .uniform(let lower, let upper): return .uniform(lower: lower, upper: upper)
        case .logUniform(let lower, let upper): return .logUniform(lower: lower, upper: upper)
        case .normal(let mean, let std, let lower, let upper):
            return .normal(mean: mean, std: std, lower: lower, upper: upper)
        case .integerUniform(let lower, let upper): return .integerUniform(lower: lower, upper: upper)
        case .choice(let values): return .choice(values.map(parameterValue))
        }
    }

    static func parameterValue(_ scalar: ScalarValue) -> ParameterValue {
        switch scalar {
        case .integer(let value): return .integer(value)
        case .real(let value): return .real(value)
        case .text(let value): return .text(value)
        }
    }

    /// The type of each parameter: from its distribution, or from the values drawn for a choice or read from a file.
    static func planParameters(_ parameters: [Parameter], rows tables: [[[ParameterValue]]]) -> [PlanParameter] {
        parameters.enumerated().map { index, parameter in
            switch parameter.distribution {
            case .uniform, .logUniform, .normal:
                return PlanParameter(
                    name: parameter.name, type: .real, distribution: distribution(parameter.distribution))
            case .integerUniform:
                return PlanParameter(
                    name: parameter.name, type: .integer, distribution: distribution(parameter.distribution))
            case .choice: break
            }
            var type = PlanParameter.ValueType.integer
            for row in tables.joined() where index < row.count {
                switch row[index] {
                case .integer: break
                case .real: if type == .integer { type = .real }
                case .text: type = .text
                }
                if type == .text { break }
            }
            if case .choice(let values) = parameter.distribution, tables.allSatisfy(\.isEmpty) {
                type = values.allSatisfy { if case .integer = $0 { true } else { false } } ? .integer : .text
            }
            return PlanParameter(name: parameter.name, type: type, distribution: distribution(parameter.distribution))
        }
    }

    /// `row` with each value of the type of its parameter (integers of a real parameter become reals, and so on).
    static func conform(_ row: [ParameterValue], to parameters: [PlanParameter]) -> [ParameterValue] {
        PlanParameter.conform(row, to: parameters)
    }

    /// The MPI launcher of a job of `tasks` tasks.
    static func launcher(tasks: Int, slurm: SlurmOptions?, local: LocalOptions) -> [String] {
        guard let slurm else { return [local.mpirun, "-np", String(tasks)] + local.mpirunArguments }
        switch slurm.launcher {
        case .srun: return ["srun"] + slurm.launcherArguments
        case .mpirun: return ["mpirun", "-np", String(tasks)] + slurm.launcherArguments
        }
    }
}
