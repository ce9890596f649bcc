import Foundation
import PlanModel
import Planning
import Sampling
import StudySpec
import Testing

/// plan.json schema 2: the command template once, the simulations as a parameter table; what runs a simulation is
/// rendered from both, the same as schema 1's per-simulation command lines.
@Suite struct PlanFormatTests {
    /// A local study planned into `directory` with awkward values (quotes, `$(…)`, blanks, control characters, an absolute and
    /// a relative working directory led by a value), its MPI launcher a script that records what it was given.
    static func awkwardPlan(in directory: URL) throws -> (plan: Plan, printer: String) {
        var study = TestSupport.study(count: 4)
        study.sampler = SamplerSpec(kind: .file, count: 0, file: "points.csv")
        study.training.validation = ValidationSpec(simulations: 0)
        study.simulation.setup = []
        study.simulation.workingDirectory = "{{solver}}/run {{n}}"
        let absolute = directory.path + "/abs dir"
        let csv = """
            T0,n,solver
            100.5,1,"rel 'q' $(echo no) `echo no` ; x"
            2e-07,2,"\(absolute)"
            300,3,"tab\tand bell\u{7}"
            -4.25,4,"a ""quoted"" \\ back"

            """
        let plan = try Planner.plan(
            TestSupport.input(study, studyDirectory: directory.appendingPathComponent("study").path)
        ) { _ in csv }
        let printer = directory.appendingPathComponent("print.sh").path
        try """
        #!/bin/bash
        { printf '%s\\n' "$PWD" "$OMP_NUM_THREADS" "$HEAT_TAG" "$#"; printf '<%s>\\n' "$@"; } >"$MELISSA_PRINT_TO"

        """.write(toFile: printer, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: printer)
        var withPrinter = plan
        withPrinter.simulation.launcher = [printer]
        return (withPrinter, printer)
    }

    @Test func roundTripsAndStoresNoCommandLine() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for plan in [
            try Self.awkwardPlan(in: directory).plan, try TestSupport.plan(TestSupport.study()),
            try TestSupport.plan(TestSupport.study(scheduler: .slurm, packing: .jobs)),
        ] {
            let data = try PlanWriter.encode(plan)
            #expect(try PlanWriter.decode(data) == plan)
            // Encoding is deterministic, and JSONEncoder's own encoding of the plan reads back the same.
            #expect(try PlanWriter.encode(PlanWriter.decode(data)) == data)
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            #expect(try PlanWriter.decode(encoder.encode(plan)) == plan)
            let text = String(decoding: data, as: UTF8.self)
            #expect(text.contains("\"schema_version\" : 2"))
            #expect(!text.contains("melissa_launch"))
            #expect(!text.contains("\"command\" : \"'"))
            // One row of the table a line.
            let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            let table = try #require(object["simulations"] as? [String: Any])
            #expect(table["training"] as? Int == plan.trainingCount)
            #expect(table["validation"] as? Int == plan.validationCount)
            #expect((table["values"] as? [Any])?.count == plan.simulations.count)
            let rows = text.split(separator: "\n").filter { $0.hasPrefix("    [") }
            #expect(rows.count == plan.simulations.count)
        }
    }

    @Test func anOlderPlanIsRefusedWithWhatToDo() throws {
        let plan = try TestSupport.plan(TestSupport.study())
        var object = try #require(
            try JSONSerialization.jsonObject(with: PlanWriter.encode(plan)) as? [String: Any])
        object["schema_version"] = 1
        let old = try JSONSerialization.data(withJSONObject: object)
        #expect(throws: PlanningError.unsupportedPlanVersion(1, expected: 2)) { try PlanWriter.decode(old) }
        let message = PlanningError.unsupportedPlanVersion(1, expected: 2).description
        #expect(message.contains("older melissa") && message.contains("melissa plan"))
        object["schema_version"] = 3
        let newer = try JSONSerialization.data(withJSONObject: object)
        #expect(throws: PlanningError.unsupportedPlanVersion(3, expected: 2)) { try PlanWriter.decode(newer) }
    }

    @Test func aTableOutOfOrderIsNotWritten() throws {
        var plan = try TestSupport.plan(TestSupport.study())
        plan.simulations.swapAt(7, 8)
        #expect(throws: PlanningError.self) { try PlanWriter.encode(plan) }
    }

    /// The written scripts run every simulation, and a redrawn one, exactly as schema 1's command line did: the same
    /// arguments, environment and working directory, whatever the values hold.
    @Test func scriptsRunWhatTheVersionOneLinesRan() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (plan, printer) = try Self.awkwardPlan(in: directory)
        _ = try PlanWriter(templates: try TemplateSet()).write(plan)
        let redraws = RedrawTable([
            RedrawTable.Entry(simulation: 2, fromAttempt: 1, values: [.real(9.5), .integer(7), .text("new 'one'")])
        ])
        try plan.writeRedraws(redraws)
        let script = plan.studyDirectory + "/" + (plan.scripts.simulations ?? "")
        var environment = ProcessInfo.processInfo.environment
        environment["MELISSA_ATTEMPT"] = "2"
        for job in plan.simulations {
            let new = directory.appendingPathComponent("new-\(job.id)").path
            let old = directory.appendingPathComponent("old-\(job.id)").path
            environment["MELISSA_PRINT_TO"] = new
            let ran = try TestSupport.run("/bin/bash", [script, String(job.id)], environment: environment)
            #expect(ran.status == 0, "simulation \(job.id): \(ran.error)")
            // Schema 1: the line of the command file, evaluated with the script's launcher.
            let line = try plan.commandLine(simulation: job.id, redraws: redraws)
            environment["MELISSA_PRINT_TO"] = old
            let reference = try TestSupport.run(
                "/bin/bash", ["-c", "melissa_launch=(\(ShellQuote.word(printer))); " + line], environment: environment)
            #expect(reference.status == 0, "simulation \(job.id): \(reference.error)")
            let printed = try String(contentsOfFile: new, encoding: .utf8)
            #expect(printed == (try String(contentsOfFile: old, encoding: .utf8)), "simulation \(job.id)")
            #expect(printed.contains("heat-\(job.id)-2"))
        }
        #expect(try String(contentsOfFile: directory.path + "/new-2", encoding: .utf8).contains("<new 'one'>"))
        #expect(
            try String(contentsOfFile: directory.path + "/new-1", encoding: .utf8).hasPrefix(
                directory.path + "/abs dir/run 2\n"))
    }
}
