import Foundation
import Testing

@testable import StudySpec

/// `execution.slurm.allocation` and `allocation_layout`: one Slurm allocation for the whole study.
@Suite("single-allocation keys")
struct AllocationKeysTests {
    /// The valid study on Slurm, with `slurm` as its `execution.slurm` section.
    static func slurmStudy(_ slurm: String, extra: String = "") -> String {
        replacingLine("scheduler:", with: "scheduler: slurm\n  slurm: \(slurm)" + extra)
    }

    @Test("allocation and allocation_layout are read; jobs and auto are the defaults")
    func theKeysAreRead() throws {
        let directory = URL(fileURLWithPath: "/tmp")
        let study = try StudyLoader.parse(
            Self.slurmStudy("{allocation: single, allocation_layout: heterogeneous}"), fileName: "study.yaml",
            directory: directory
        ).study
        #expect(study.execution.slurm?.allocation == .single)
        #expect(study.execution.slurm?.allocationLayout == .heterogeneous)
        let defaults = try StudyLoader.parse(Self.slurmStudy("{}"), fileName: "study.yaml", directory: directory)
            .study
        #expect(defaults.execution.slurm?.allocation == .jobs)
        #expect(defaults.execution.slurm?.allocationLayout == .auto)
    }

    @Test(
        "what does not go with a single allocation is reported where it is",
        arguments: [
            ("{allocation: singel}", "execution.slurm.allocation", "did you mean `single`?"),
            ("{allocaton: single}", "execution.slurm.allocaton", "did you mean `allocation`?"),
            ("{allocation: single, allocation_layout: hetero}", "execution.slurm.allocation_layout", "`heterogeneous`"),
            ("{allocation_layout: plain}", "execution.slurm.allocation_layout", "not used with `allocation: jobs`"),
            ("{allocation: single, packing: jobs}", "execution.slurm.packing", "not used with `allocation: single`"),
            ("{allocation: single, max_array_size: 10}", "execution.slurm.max_array_size", "an srun step"),
            ("{allocation: single, launcher: mpirun}", "execution.slurm.launcher", "expected `srun`"),
        ])
    func badKeys(slurm: String, key: String, expected: String) {
        let found = diagnostics(of: Self.slurmStudy(slurm))
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.contains(key + ":") == true, "\(found)")
        #expect(found.first?.contains(expected) == true, "\(found)")
    }

    @Test("every simulation must fit in the allocation's walltime, the server's")
    func aSimulationLongerThanTheAllocation() {
        let yaml = replacingLine(
            "resources:", with: #"resources: {tasks: 2, walltime: "02:00:00"}"#,
            in: Self.slurmStudy("{allocation: single}", extra: "\n  server: {walltime: \"01:00:00\"}"))
        let found = diagnostics(of: yaml)
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.contains("study.yaml:12:") == true, "at the simulation's walltime: \(found)")
        #expect(found.first?.contains("simulation.resources.walltime: 02:00:00 is longer") == true, "\(found)")
    }

    @Test("an offline study has no server to build the allocation around")
    func anOfflineStudy() {
        let found = diagnostics(of: Self.slurmStudy("{allocation: single}", extra: "\n  mode: offline"))
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.contains("execution.slurm.allocation: `single` needs `execution.mode: online`") == true)
    }
}
