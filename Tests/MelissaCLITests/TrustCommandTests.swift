import Foundation
import Launching
import MelissaTestSupport
import Testing
import Training

/// What `melissa plan`, `launch`, `status` and `predict` tell a person, as separate processes on the local
/// scheduler (the stand-in server and simulations): edited studies, a fresh start, the simulation table, the
/// launcher log, per-attempt logs, the exit code of a study that did not deliver.
@Suite("trust: plan, launch, status, predict", .serialized)
struct TrustCommandTests {
    typealias Launches = LaunchCommandTests

    @Test("an edited study is noticed, never mixed into the old plan; --fresh moves the old one aside and runs it")
    func editThenRunAgain() async throws {
        let file = try Launches.studyFile(count: 2, delay: 0)
        let root = file.deletingLastPathComponent()
        let directory = root.appendingPathComponent("study")
        defer {
            Launches.killLeftovers(directory)
            try? FileManager.default.removeItem(at: root)
        }
        let first = try await MelissaRun.run(["launch", file.path], in: root)
        #expect(first.status == 0, "\(first.standardOutput)\n\(first.standardError)")
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("launcher.log").path))
        // A resume of the complete study restarts nothing and says its verdict again.
        let resumed = try await MelissaRun.run(["launch", directory.path, "--resume"], in: root)
        #expect(resumed.status == 0, "\(resumed.standardOutput)\n\(resumed.standardError)")
        #expect(resumed.standardOutput.contains("is already complete"))
        #expect(resumed.standardOutput.contains("✓ study complete: 2 simulations done"))
        #expect(try Journal(studyDirectory: directory.path).jobs(simulationID: nil).count == 1, "no server restarted")
        // The same study again: refused, pointing at --resume and --fresh.
        let again = try await MelissaRun.run(["launch", file.path], in: root)
        #expect(again.status == 1)
        #expect(again.standardError.contains("--resume") && again.standardError.contains("--fresh"))
        // Edited: more simulations.
        let text = try String(contentsOf: file, encoding: .utf8).replacingOccurrences(of: "count: 2", with: "count: 3")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let edited = try await MelissaRun.run(["launch", file.path, "--resume"], in: root)
        #expect(edited.status == 1)
        #expect(edited.standardError.contains("changed since"), "\(edited.standardError)")
        #expect(edited.standardError.contains("simulations"), "names what changed: \(edited.standardError)")
        // `plan` does not overwrite a launched study either.
        let planned = try await MelissaRun.run(["plan", file.path], in: root)
        #expect(planned.status == 1)
        #expect(planned.standardError.contains("was launched"), "\(planned.standardError)")
        let plan = try String(contentsOf: directory.appendingPathComponent("plan.json"), encoding: .utf8)
        #expect(plan.contains("\"training\": 2,"), "the launched plan is untouched")
        // --fresh: the old study goes to study.1, the edited one runs in study/.
        let fresh = try await MelissaRun.run(["launch", file.path, "--fresh"], in: root)
        #expect(fresh.status == 0, "\(fresh.standardOutput)\n\(fresh.standardError)")
        #expect(fresh.standardOutput.contains("moved the study launched before to \(directory.path).1"))
        #expect(fresh.standardOutput.contains("study complete: 3 simulations done"), "\(fresh.standardOutput)")
        #expect(FileManager.default.fileExists(atPath: directory.path + ".1/journal.sqlite"))
        #expect(try Journal(studyDirectory: directory.path).completedSimulations() == [0, 1, 2])
    }

    @Test("a study launched under plan schema 1 is refused with what to do: plan again, --fresh")
    func anOlderPlanIsRefused() async throws {
        let file = try Launches.studyFile(count: 2, delay: 0)
        let root = file.deletingLastPathComponent()
        let directory = root.appendingPathComponent("study")
        defer {
            Launches.killLeftovers(directory)
            try? FileManager.default.removeItem(at: root)
        }
        let first = try await MelissaRun.run(["launch", file.path], in: root)
        #expect(first.status == 0, "\(first.standardOutput)\n\(first.standardError)")
        // What an older melissa left: the same plan, schema 1.
        let url = directory.appendingPathComponent("plan.json")
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        object["schema_version"] = 1
        try JSONSerialization.data(withJSONObject: object).write(to: url)
        let resumed = try await MelissaRun.run(["launch", directory.path, "--resume"], in: root)
        #expect(resumed.status == 1)
        #expect(
            resumed.standardError.contains("schema version 1, written by an older melissa"), "\(resumed.standardError)")
        #expect(resumed.standardError.contains("--fresh"))
        let again = try await MelissaRun.run(["launch", file.path], in: root)
        #expect(again.status == 1)
        #expect(again.standardError.contains("changed since") && again.standardError.contains("schema_version"))
        let fresh = try await MelissaRun.run(["launch", file.path, "--fresh"], in: root)
        #expect(fresh.status == 0, "\(fresh.standardOutput)\n\(fresh.standardError)")
        #expect(fresh.standardOutput.contains("study complete: 2 simulations done"), "\(fresh.standardOutput)")
    }

    @Test("status --simulations and --json list every simulation; each attempt has its own log, with a banner")
    func theSimulationTable() async throws {
        let file = try Launches.studyFile(count: 3, delay: 0)
        let root = file.deletingLastPathComponent()
        let directory = root.appendingPathComponent("study")
        defer {
            Launches.killLeftovers(directory)
            try? FileManager.default.removeItem(at: root)
        }
        let launched = try await MelissaRun.run(["launch", directory.path], in: root)
        #expect(launched.status == 0, "\(launched.standardOutput)\n\(launched.standardError)")
        let table = try await MelissaRun.run(["status", directory.path, "--simulations"], in: root)
        #expect(table.status == 0, "\(table.standardError)")
        let lines = table.standardOutput.split(separator: "\n")
        #expect(lines.first?.hasPrefix("id  role") == true, "\(table.standardOutput)")
        #expect(lines.count == 4 && lines.dropFirst().allSatisfy { $0.contains(" done ") }, "\(table.standardOutput)")
        let json = try await MelissaRun.run(["status", directory.path, "--json"], in: root)
        let document = try #require(
            try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any])
        let rows = try #require(document["simulations"] as? [[String: Any]])
        #expect(rows.count == 3)
        #expect(rows.allSatisfy { $0["state"] as? String == "done" && $0["attempt"] as? Int == 0 })
        let log = try #require(rows.first?["log"] as? String)
        #expect(log.hasSuffix("cli-sim-0.attempt-0.err"), "\(log)")
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(text.hasPrefix("==== melissa: simulation 0, attempt 0, on "), "\(text)")
        let launcherLog = try String(contentsOf: directory.appendingPathComponent("launcher.log"), encoding: .utf8)
        #expect(launcherLog.contains("==== melissa launch (pid "))
        #expect(launcherLog.contains("study complete: 3 done"), "\(launcherLog)")
    }

    @Test("more training simulations given up than simulation.given_up_tolerance allows: exit 1, saying so")
    func tooManyGivenUpFailsTheStudy() async throws {
        let file = try Launches.studyFile(count: 4, delay: 0)
        let root = file.deletingLastPathComponent()
        let directory = root.appendingPathComponent("study")
        defer {
            Launches.killLeftovers(directory)
            try? FileManager.default.removeItem(at: root)
        }
        // Simulation 1 always crashes and has no retry: 1 of 4 given up, over the default 10 %.
        let text = try String(contentsOf: file, encoding: .utf8)
            .replacingOccurrences(of: "simulation --step-delay", with: "simulation --fail 1:99 --step-delay")
            .replacingOccurrences(of: "  time_steps: 6", with: "  time_steps: 6\n  retries: 0")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let launched = try await MelissaRun.run(["launch", file.path, "--fresh"], in: root)
        #expect(launched.status == 1, "\(launched.standardOutput)\n\(launched.standardError)")
        #expect(
            launched.standardOutput.contains(
                "1 of 4 training simulations were given up, more than simulation.given_up_tolerance allows (10 %)"),
            "\(launched.standardOutput)")
        #expect(launched.standardOutput.contains("last lines of "), "the crashed simulation's log")
        // Tolerating a quarter, the same study delivers.
        try (text.replacingOccurrences(of: "  retries: 0", with: "  retries: 0\n  given_up_tolerance: 0.25"))
            .write(to: file, atomically: true, encoding: .utf8)
        let tolerated = try await MelissaRun.run(["launch", file.path, "--fresh"], in: root)
        #expect(tolerated.status == 0, "\(tolerated.standardOutput)\n\(tolerated.standardError)")
        #expect(tolerated.standardOutput.contains("✓ study complete: 3 simulations done, 1 given up"))
    }

    @Test("melissa plan --replay lists every parameter set an adaptive study ran, replayed bit for bit")
    func replayAnAdaptiveStudy() async throws {
        let file = try Launches.studyFile(count: 8, delay: 0)
        let root = file.deletingLastPathComponent()
        let directory = root.appendingPathComponent("study")
        defer {
            Launches.killLeftovers(directory)
            try? FileManager.default.removeItem(at: root)
        }
        let text = try String(contentsOf: file, encoding: .utf8).replacingOccurrences(
            of: "sampler: {kind: monte-carlo, count: 8}",
            with: "sampler: {kind: adaptive, initial: {kind: sobol, count: 4}, count: 8, batch: 2}")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let validated = try await MelissaRun.run(["validate", file.path], in: root)
        #expect(validated.standardOutput.contains("adaptive, 8 simulations: 4 from sobol, then 4 chosen 2 at a time"))
        let launched = try await MelissaRun.run(["launch", file.path, "--fresh"], in: root)
        #expect(launched.status == 0, "\(launched.standardOutput)\n\(launched.standardError)")
        #expect(launched.standardOutput.contains("batch 2 of 2: 2 parameter sets chosen"), "\(launched.standardOutput)")
        // The report shows where each set came from.
        let page = try String(contentsOf: directory.appendingPathComponent("report/index.html"), encoding: .utf8)
        #expect(page.contains("adaptive sampling: where each set came from"))
        let replay = try await MelissaRun.run(["plan", "--replay", directory.path], in: root)
        #expect(replay.status == 0, "\(replay.standardError)")
        #expect(replay.standardError.contains("replayed 2 of 2 batches bit for bit; 8 parameter sets"))
        let lines = replay.standardOutput.split(separator: "\n")
        #expect(lines.first == "simulation,role,origin,batch,parent,x")
        #expect(lines.count == 9 && lines.filter { $0.contains(",initial,0,") }.count == 4)
        // A uniform study has nothing to replay.
        let uniform = try await MelissaRun.run(["plan", "--replay", root.path + "/nosuch"], in: root)
        #expect(uniform.status == 1 && uniform.standardError.contains("no plan in"))
    }

    @Test("as root, mpirun's refusal is recognised and the fix printed", .enabled(if: getuid() == 0))
    func mpirunAsRootIsExplained() async throws {
        let root = try HostTools.temporaryDirectory("melissa-root")
        defer { try? FileManager.default.removeItem(at: root) }
        let yaml = """
            study: {name: rooted, output: study, seed: 1}
            parameters:
              x: {uniform: [0, 1]}
            sampler: {kind: sobol, count: 1}
            simulation:
              command: "/bin/true {{x}}"
              fields: [{name: f, size: 4}]
              time_steps: 2
            training:
              model: {hidden: [4]}
            execution:
              scheduler: local
              local: {mpirun: mpirun}
            """
        let file = root.appendingPathComponent("study.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["OMPI_ALLOW_RUN_AS_ROOT"] = nil
        environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = nil
        let result = try await ProcessRunner.run(
            MelissaRun.binary.path, ["launch", file.path], environment: environment, directory: root, timeout: 120)
        #expect(result.status == 1)
        #expect(result.standardError.contains("OpenMPI refuses to run as root"), "\(result.standardError)")
        #expect(result.standardError.contains("OMPI_ALLOW_RUN_AS_ROOT=1"))
        #expect(result.standardError.contains("last lines of "), "the log's own words follow")
    }

    @Test("predict warns when it extrapolates: a step past the study's, a parameter outside its support")
    func predictWarnsOutsideWhatWasTrained() throws {
        let directory = try HostTools.temporaryDirectory("melissa-predict")
        defer { try? FileManager.default.removeItem(at: directory) }
        // (T0, step) → 2 values, no hidden layer: weights 4, biases 2.
        let surrogate = Surrogate(
            architecture: MLPArchitecture(inputCount: 2, hidden: [], outputCount: 2, activation: .relu),
            parameters: [1, 0, 0, 1, 0, 0], inputMean: [0, 0], inputStd: [1, 1], outputMean: [0, 0],
            outputStd: [1, 1], parameterNames: ["T0"])
        let url = directory.appendingPathComponent("model.melissa")
        try surrogate.write(to: url, metadata: ["time_steps": "10", "range.T0": "100.0 500.0"])
        let inside = try MelissaRun.run(["predict", url.path, "--param", "T0=300", "--step", "9"])
        #expect(inside.status == 0 && inside.standardError.isEmpty, "\(inside.standardError)")
        let outside = try MelissaRun.run(["predict", url.path, "--param", "T0=900", "--step", "12"])
        #expect(outside.status == 0, "a warning, not a refusal")
        #expect(outside.standardError.contains("step 12.0 is outside the steps trained on (0 … 9)"))
        #expect(outside.standardError.contains("T0 = 900.0 is outside the values trained on [100.0, 500.0]"))
        #expect(outside.standardOutput.split(separator: "\n").count == 2)
    }
}
