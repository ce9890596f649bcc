import Foundation
import Testing

@testable import StudySpec

/// `execution.workers`: its forms, its defaults and what it is checked against.
@Suite struct WorkersKeysTests {
    static func parse(_ yaml: String) throws -> Study {
        try StudyLoader.parse(yaml, fileName: "study.yaml", directory: URL(fileURLWithPath: "/tmp")).study
    }

    /// The valid study with `concurrency: {min: 1, max: 4}` replaced by `execution` lines of its own.
    static func study(_ lines: String) -> String {
        replacingLine("concurrency:", with: lines)
    }

    @Test("a number, a mapping or an empty section; count is the window's maximum, the walltime the server's")
    func formsAndDefaults() throws {
        let none = try Self.parse(validStudy)
        #expect(none.execution.workers == nil)

        let number = try Self.parse(Self.study("workers: 6"))
        #expect(number.execution.workers == WorkersSpec(count: 6, walltime: nil))
        #expect(number.execution.concurrency == Concurrency(min: 1, max: 6))

        let mapping = try Self.parse(Self.study("concurrency: {min: 2}\n  workers: {count: 3, walltime: 01:30:00}"))
        #expect(mapping.execution.workers == WorkersSpec(count: 3, walltime: Walltime(seconds: 5400)))
        #expect(mapping.execution.concurrency == Concurrency(min: 2, max: 3))

        // Empty: the window's maximum (given or the default 4) is the number of workers.
        let empty = try Self.parse(Self.study("concurrency: {min: 1, max: 5}\n  workers: {}"))
        #expect(empty.execution.workers == WorkersSpec(count: 5, walltime: nil))
        let bare = try Self.parse(Self.study("workers:"))
        #expect(bare.execution.workers == WorkersSpec(count: 4, walltime: nil))

        // Both given and agreeing is fine.
        let both = try Self.parse(Self.study("concurrency: {max: 3}\n  workers: {count: 3}"))
        #expect(both.execution.workers?.count == 3)
    }

    @Test(arguments: [
        (
            "workers: {cuont: 3}", "study.yaml:18:13: execution.workers.cuont: unknown key; did you mean `count`?"
        ),
        (
            "workers: 0",
            "study.yaml:18:12: execution.workers: 0 is too small; expected a positive number of worker jobs"
        ),
        (
            "workers: {count: two}",
            "study.yaml:18:20: execution.workers.count: expected a positive number of worker jobs, found `two`"
        ),
        (
            "workers: {walltime: 5h}",
            "study.yaml:18:23: execution.workers.walltime: expected a walltime `HH:MM:SS`, `MM:SS`, `MM` or "
                + "`D-HH:MM:SS`, found `5h`"
        ),
        (
            "concurrency: {min: 1, max: 4}\n  workers: 6",
            "study.yaml:19:12: execution.workers: 6 workers, but execution.concurrency.max is 4 (line 18); with workers "
                + "the window counts workers: give one of them"
        ),
        (
            "concurrency: {min: 3}\n  workers: 2",
            "study.yaml:19:12: execution.workers: 2 workers is fewer than execution.concurrency.min (3); expected at "
                + "least that many"
        ),
        (
            "workers: {walltime: \"00:05:00\"}",
            "study.yaml:18:23: execution.workers.walltime: 00:05:00 is shorter than simulation.resources.walltime "
                + "(00:10:00); expected a worker walltime that holds at least one simulation"
        ),
        (
            "server: {walltime: \"00:05:00\"}\n  workers: 2",
            "study.yaml:19:12: execution.workers.walltime: the server's walltime (execution.server.walltime), the "
                + "workers' default, 00:05:00 is shorter than simulation.resources.walltime (00:10:00); expected a "
                + "worker walltime that holds at least one simulation"
        ),
        (
            "workers: 2\n  scheduler: slurm\n  slurm: {packing: jobs}",
            "study.yaml:19:20: execution.slurm.packing: does not apply with execution.workers (the workers run the "
                + "simulations, not one job each); remove one of them"
        ),
        (
            "workers: 2\n  scheduler: slurm\n  slurm: {allocation: single}",
            "study.yaml:17:12: execution.workers: does not apply with execution.slurm.allocation: single (inside the "
                + "allocation every simulation is already an srun step, not a scheduler job, so there is no job per "
                + "simulation to save); remove one of them"
        ),
    ])
    func badWorkersAreReportedWhereTheyAre(lines: String, expected: String) {
        let yaml = Self.study(lines).replacingOccurrences(of: "  scheduler: local\n", with: "")
        let found = diagnostics(of: lines.contains("scheduler:") ? yaml : Self.study(lines))
        #expect(found == [expected])
    }
}
