import Foundation
import Yams

extension StudyParser {
    // MARK: - cross-field checks

    mutating func crossCheck(
        buffer spec: BufferSpec, training: TrainingSpec, execution: ExecutionSpec, simulation: SimulationSpec?,
        top: Fields
    ) {
        // The sections were read already; here only the places of their values are needed.
        let buffer = top["buffer"]
        let trainingSection = top["training"]
        let executionSection = top["execution"]
        if spec.watermark > spec.capacity {
            let node = Self.child(buffer, "watermark") ?? Self.child(buffer, "capacity")
            report(
                at: node?.position ?? top.keyNode("buffer")?.position, "buffer.watermark",
                "\(spec.watermark) is larger than buffer.capacity (\(spec.capacity))")
        }
        if training.batchSize > spec.capacity {
            report(
                at: (Self.child(trainingSection, "batch_size") ?? Self.child(buffer, "capacity"))?.position ?? top.mark,
                "training.batch_size",
                "\(training.batchSize) is larger than buffer.capacity (\(spec.capacity)); a batch must fit in the buffer"
            )
        }
        if training.ranks < execution.server.nodes {
            let nodes = Self.child(Self.child(executionSection, "server"), "nodes")
            report(
                at: (nodes ?? Self.child(trainingSection, "ranks"))?.position ?? top.mark,
                "execution.server.nodes",
                "\(execution.server.nodes) nodes for \(training.ranks) training rank\(training.ranks == 1 ? "" : "s"); "
                    + "expected at most one node per rank (training.ranks)")
        }
        if let slurm = execution.slurm, execution.scheduler == .slurm, slurm.allocation == .single {
            singleAllocationCrossCheck(execution: execution, simulation: simulation, top: top)
        }
        if let slurm = execution.slurm, execution.scheduler == .slurm, let simulation {
            let shortest = min(simulation.resources.walltime.seconds, execution.server.walltime.seconds)
            if slurm.signalSecondsBeforeWalltime >= shortest {
                let slurmSection = Self.child(executionSection, "slurm")
                report(
                    at: (Self.child(slurmSection, "signal_before_walltime") ?? slurmSection)?.position ?? top.mark,
                    "execution.slurm.signal_before_walltime",
                    "\(slurm.signalSecondsBeforeWalltime) s is not shorter than the shortest walltime "
                        + "(\(Walltime(seconds: shortest))); expected a warning well before the walltime")
            }
        }
    }

    /// `allocation: single`: the allocation lasts the server's walltime, so every simulation must fit in it, and it
    /// holds the training server (an offline study has none).
    private mutating func singleAllocationCrossCheck(
        execution: ExecutionSpec, simulation: SimulationSpec?, top: Fields
    ) {
        let executionSection = top["execution"]
        let allocation = Self.child(Self.child(executionSection, "slurm"), "allocation")
        if execution.mode == .offline {
            report(
                at: (allocation ?? Self.child(executionSection, "mode"))?.position ?? top.mark,
                "execution.slurm.allocation",
                "`single` needs `execution.mode: online` (the allocation is sized around the training server)")
        }
        if let simulation, simulation.resources.walltime.seconds > execution.server.walltime.seconds {
            let walltime = Self.child(Self.child(top["simulation"], "resources"), "walltime")
            report(
                at: (walltime ?? allocation)?.position ?? top.mark, "simulation.resources.walltime",
                "\(simulation.resources.walltime) is longer than the allocation's walltime "
                    + "(execution.server.walltime, \(execution.server.walltime)); with `allocation: single` every "
                    + "simulation runs inside the study's allocation")
        }
    }

    /// With workers: a worker's walltime holds at least one simulation, and Slurm's `packing` (how one job per
    /// simulation is submitted) is not given.
    mutating func crossCheck(workers: WorkersSpec, execution: ExecutionSpec, simulation: SimulationSpec?, top: Fields) {
        let executionSection = top["execution"]
        let section = Self.child(executionSection, "workers")
        if let simulation {
            let walltime = workers.walltime ?? execution.server.walltime
            if walltime.seconds < simulation.resources.walltime.seconds {
                let given = Self.child(section, "walltime")
                let whose =
                    given == nil ? "the server's walltime (execution.server.walltime), the workers' default, " : ""
                report(
                    at: (given ?? section)?.position ?? top.mark, "execution.workers.walltime",
                    "\(whose)\(walltime) is shorter than simulation.resources.walltime (\(simulation.resources.walltime)); "
                        + "expected a worker walltime that holds at least one simulation")
            }
        }
        if execution.scheduler == .slurm, let packing = Self.child(Self.child(executionSection, "slurm"), "packing") {
            report(
                at: packing.position, "execution.slurm.packing",
                "does not apply with execution.workers (the workers run the simulations, not one job each); "
                    + "remove one of them")
        }
        if execution.slurm?.allocation == .single {
            let allocation = Self.child(Self.child(executionSection, "slurm"), "allocation")
            report(
                at: (section ?? allocation)?.position ?? top.mark, "execution.workers",
                "does not apply with execution.slurm.allocation: single (inside the allocation every simulation is "
                    + "already an srun step, not a scheduler job, so there is no job per simulation to save); "
                    + "remove one of them")
        }
    }

    /// The value of `key` in a mapping node, without any check (the section was read already).
    static func child(_ node: Node?, _ key: String) -> Node? {
        guard case .mapping(let mapping)? = node else { return nil }
        return mapping.first { $0.key.scalar?.string == key }?.value
    }
}
