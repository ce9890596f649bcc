import Foundation
import Launching
import MelissaTestSupport
import Testing

/// The heat-equation study in one Slurm allocation (`execution.slurm.allocation: single`) on the real test cluster:
/// `melissa plan` writes the allocation's script, `sbatch` runs it, and `melissa launch` inside it starts the real
/// server and the heat-pde simulations as srun steps. Heterogeneous (the simulations' component in partition
/// `allocation`) when the cluster has that partition, plain otherwise.
@Suite("The heat study in one Slurm allocation", .serialized)
struct SlurmAllocationHeatTests {
    static let environment = ProcessInfo.processInfo.environment

    /// A small copy of workflows/heat-pde/study.yaml in one allocation.
    static func study(name: String, count: Int, mesh: Int, steps: Int, stepDelay: Double = 0) -> String {
        let heat = repositoryRoot.appendingPathComponent("build/bin/heat-pde").path
        let partition = environment["MELISSA_SLURM_PARTITION"] ?? "debug"
        let simulations = environment["MELISSA_SLURM_ALLOCATION_PARTITION"]
        return """
            study: {name: \(name), output: run, seed: 7}
            parameters:
              T0: {uniform: [100, 500]}
              T1: {uniform: [100, 500]}
              T2: {uniform: [100, 500]}
              T3: {uniform: [100, 500]}
              T4: {uniform: [100, 500]}
            sampler: {kind: sobol, count: \(count), scramble: true}
            simulation:
              command: "\(heat) --mesh \(mesh) --steps {{time_steps}} --step-delay \(stepDelay) {{T0}} {{T1}} {{T2}} {{T3}} {{T4}}"
              fields: [{name: temperature, size: \(mesh * mesh), shape: [\(mesh), \(mesh)]}]
              time_steps: \(steps)
              resources: {nodes: 1, tasks: 1, walltime: "00:05:00"}
              timeout: 60s
            buffer: {policy: reservoir, capacity: 200, watermark: 20}
            training:
              ranks: 1
              model: {hidden: [32]}
              checkpoint_every_seconds: 2
              validation: {simulations: 1, every_batches: 20, require_skill: false}
            execution:
              scheduler: slurm
              concurrency: {min: 1, max: \(simulations == nil ? 1 : 2)}
              server: {walltime: "00:10:00"}
              slurm:
                partition: \(simulations ?? partition)
                account: \(environment["MELISSA_SLURM_ACCOUNT"] ?? "melissa")
                qos: \(environment["MELISSA_SLURM_QOS"] ?? "normal")
                server: {partition: \(partition)}
                launcher_arguments: ["--mpi=pmix"]
                signal_before_walltime: 60s
                allocation: single
            """
    }

    /// Plans `yaml` into `<root>/run` with the built melissa; returns the allocation script.
    static func plan(_ yaml: String, in root: URL, name: String) async throws -> String {
        let file = root.appendingPathComponent("study.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let planned = try await MelissaRun.run(["plan", file.path])
        #expect(planned.status == 0, "\(planned.standardError)")
        #expect(planned.standardOutput.contains("next        sbatch"), "\(planned.standardOutput)")
        return root.appendingPathComponent("run/scripts/\(name)-allocation.sbatch").path
    }

    /// Submits the allocation script.
    static func submit(_ script: String) async throws -> JobID {
        let result = try await CommandRunner(timeout: 60).check(["sbatch", "--parsable", script, "--poll", "0.5"])
        return try #require(JobID(result.output.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    /// Waits until allocation `id` is over; the state of its batch (component 0).
    static func waitForEnd(_ id: JobID, name: String, timeout: Double = 400) async throws -> JobState? {
        let adapter = SlurmAdapter()
        var leader: JobState?
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let statuses = try await adapter.query(
                JobQuery(names: [name + "-allocation"], since: Date(timeIntervalSinceNow: -900), expected: [id])
            ).filter { $0.id.job == id.job }
            leader = statuses.first { $0.id.component == nil || $0.id.component == 0 }?.state
            if !statuses.isEmpty, statuses.allSatisfy({ $0.state.isFinished }) { return leader }
            try await Task.sleep(for: .seconds(1))
        }
        Issue.record("allocation \(id) still runs after \(Int(timeout)) s")
        return leader
    }

    @Test("the heat study runs end to end in one allocation", .requiresSlurm, .requiresHeatSolver)
    func endToEnd() async throws {
        let root = try HostTools.temporaryDirectory("melissa-slurm-allocation-heat")
        defer { try? FileManager.default.removeItem(at: root) }
        let name = "heat-\(UUID().uuidString.prefix(6).lowercased())"
        let script = try await Self.plan(Self.study(name: name, count: 4, mesh: 20, steps: 10), in: root, name: name)
        let id = try await Self.submit(script)
        defer { Task { try? await SlurmAdapter().cancel([id]) } }
        let state = try await Self.waitForEnd(id, name: name)
        let run = root.appendingPathComponent("run")
        let output =
            (try? String(contentsOf: run.appendingPathComponent("logs/\(name)-allocation-\(id).out"), encoding: .utf8))
            ?? ""
        let log = (try? String(contentsOf: run.appendingPathComponent("launcher.log"), encoding: .utf8)) ?? ""
        #expect(state == .completed, "\(output)\n--- launcher.log\n\(log)")
        #expect(output.contains("study complete: 5 simulations done"), "\(output)\n--- launcher.log\n\(log)")
        #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent("model.melissa").path))
        let metrics = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        let last = try #require(metrics.split(separator: "\n").last)
        let record = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        #expect(record["received"] as? Int == 50, "every (simulation, step) received once: \(record)")
    }

    @Test(
        "the walltime warning: the server checkpoints, the study pauses; sbatch of the same script completes it",
        .requiresSlurm, .requiresHeatSolver)
    func pausedAndResumed() async throws {
        let root = try HostTools.temporaryDirectory("melissa-slurm-allocation-pause")
        defer { try? FileManager.default.removeItem(at: root) }
        let name = "heat-\(UUID().uuidString.prefix(6).lowercased())"
        // Slower simulations (a finer mesh, more steps, 5 s each at least), so that the warning comes while they run:
        // 7 of them 2 at a time take 20 s at least, and the first completes after 5 s.
        let script = try await Self.plan(
            Self.study(name: name, count: 6, mesh: 40, steps: 40, stepDelay: 0.125), in: root, name: name)
        let run = root.appendingPathComponent("run")
        let first = try await Self.submit(script)
        defer { Task { try? await SlurmAdapter().cancel([first]) } }
        let journal = try Journal(studyDirectory: run.path)
        let deadline = Date().addingTimeInterval(300)
        while Date() < deadline, ((try? journal.completedSimulations().count) ?? 0) < 1 {
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(try journal.completedSimulations().count >= 1, "no simulation completed; see \(run.path)/logs")
        // Slurm's --signal=B:USR1@N: SIGUSR1 to the batch shell alone.
        _ = try await CommandRunner(timeout: 60).check(["scancel", "--signal=USR1", "--batch", "\(first)"])
        let paused = try await Self.waitForEnd(first, name: name)
        #expect(paused == .failed(exitCode: 5, signal: nil), "\(String(describing: paused))")
        let server = try String(contentsOf: run.appendingPathComponent("logs/\(name)-server.out"), encoding: .utf8)
        #expect(server.contains("checkpoint written"), "the server checkpointed on the pause: \(server)")
        #expect(try journal.decisions(kind: Launcher.pauseKind).count == 1)
        #expect(try journal.ending() == nil)

        let second = try await Self.submit(script)
        defer { Task { try? await SlurmAdapter().cancel([second]) } }
        let state = try await Self.waitForEnd(second, name: name)
        let output =
            (try? String(
                contentsOf: run.appendingPathComponent("logs/\(name)-allocation-\(second).out"), encoding: .utf8)) ?? ""
        // On a failure, what the simulations' logs said.
        let logs = run.appendingPathComponent("logs")
        let errors = ((try? FileManager.default.contentsOfDirectory(atPath: logs.path)) ?? []).sorted()
            .filter { $0.hasSuffix(".err") }.map { name in
                "--- \(name)\n" + ((try? String(contentsOf: logs.appendingPathComponent(name), encoding: .utf8)) ?? "")
            }.joined(separator: "\n")
        #expect(state == .completed, "\(output)\n\(errors)")
        #expect(
            output.contains("resuming:") && output.contains("study complete: 7 simulations done"),
            "\(output)\n\(errors)")
        #expect(try journal.serverRestarts() == 0)
        #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent("model.melissa").path))
    }
}
