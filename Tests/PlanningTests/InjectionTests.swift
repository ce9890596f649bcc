import Foundation
import PlanModel
import Planning
import StudySpec
import Testing

/// Hostile values from a study file must reach the simulation byte for byte and never run as shell.
@Suite struct InjectionTests {
    static func hostileValues(marker: String) -> [String] {
        [
            "$(touch \(marker))",
            "`touch \(marker)`",
            "'; touch \(marker); '",
            "\"; touch \(marker); \"",
            "a;touch \(marker)",
            "line one\nline two; touch \(marker)",
            "back\\slash \\' \\\" $HOME ${HOME} !! * ?",
            "tab\there\r{{T0}} %s %n",
            "",
        ]
    }

    /// Writes a fake mpirun that drops `-np N` and runs the rest.
    static func fakeMPIRun(in directory: URL) throws -> String {
        let url = directory.appendingPathComponent("fake mpirun")
        try "#!/bin/bash\nif [ \"$1\" = -np ]; then shift 2; fi\nexec \"$@\"\n".write(
            to: url, atomically: true, encoding: .utf8
        )
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        return url.path
    }

    func hostileStudy(values: [String], marker: String, mpirun: String) -> Study {
        Study(
            info: StudyInfo(name: "it's a \"study\" $(touch \(marker))", seed: 1),
            parameters: [Parameter(name: "p", distribution: .choice(values.map { .text($0) }))],
            sampler: SamplerSpec(kind: .grid, count: values.count),
            simulation: SimulationSpec(
                command: "printf '%s' {{p}} > value.txt; printf '%s' \"$HOSTILE\" > env.txt; "
                    + "printf '%s' {{study_name}} > name.txt",
                fields: [FieldSpec(name: "u")],
                timeSteps: 1,
                environment: [EnvironmentVariable(name: "HOSTILE", value: "$(touch \(marker)) {{p}}")],
                workingDirectory: "simulations/{{simulation_id}}"
            ),
            execution: ExecutionSpec(scheduler: .local, local: LocalOptions(mpirun: mpirun))
        )
    }

    @Test func localSimulationScriptsCarryHostileValuesVerbatim() throws {
        let root = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let marker = "/tmp/pwned-\(UUID().uuidString)"
        let values = Self.hostileValues(marker: marker)
        let mpirun = try Self.fakeMPIRun(in: root)
        let study = hostileStudy(values: values, marker: marker, mpirun: mpirun)
        let studyDirectory = root.appendingPathComponent("out dir 'q\" $(touch \(marker)) `x`").path
        let plan = try TestSupport.plan(study, studyDirectory: studyDirectory)
        let result = try PlanWriter(templates: try TemplateSet()).write(plan)
        #expect(result.files.contains("scripts/simulation.sh"))
        let script = studyDirectory + "/scripts/simulation.sh"
        for job in plan.simulations {
            let run = try TestSupport.run("/bin/bash", [script, String(job.id)])
            #expect(run.status == 0, "simulation \(job.id): \(run.error)")
            let directory = studyDirectory + "/simulations/\(job.id)/"
            guard case .text(let expected) = job.values[0] else {
                Issue.record("not text: \(job.values)")
                continue
            }
            let value = try Data(contentsOf: URL(fileURLWithPath: directory + "value.txt"))
            #expect(value == Data(expected.utf8), "simulation \(job.id)")
            let environment = try Data(contentsOf: URL(fileURLWithPath: directory + "env.txt"))
            #expect(environment == Data("$(touch \(marker)) \(expected)".utf8))
            let name = try String(contentsOfFile: directory + "name.txt", encoding: .utf8)
            #expect(name == study.info.name)
        }
        #expect(Set(plan.simulations.map { $0.values[0].description }) == Set(values))
        #expect(!FileManager.default.fileExists(atPath: marker), "a hostile value ran as a command")
        // The server script parses too.
        #expect(
            try TestSupport.bashSyntaxErrors(
                try String(contentsOfFile: studyDirectory + "/scripts/server.sh", encoding: .utf8)) == nil)
    }

    @Test func hostileValuesFromAPointFile() throws {
        let root = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let marker = "/tmp/pwned-\(UUID().uuidString)"
        // A point file cell cannot span lines; everything else goes.
        let values = Self.hostileValues(marker: marker).filter {
            !$0.contains("\n") && !$0.contains("\r") && !$0.isEmpty
        }
        let csv =
            "p\n" + values.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: "\n")
            + "\n"
        try csv.write(to: root.appendingPathComponent("points.csv"), atomically: true, encoding: .utf8)
        var study = hostileStudy(values: ["x"], marker: marker, mpirun: try Self.fakeMPIRun(in: root))
        study.sampler = SamplerSpec(kind: .file, count: values.count, file: "points.csv")
        let studyDirectory = root.appendingPathComponent("study").path
        let plan = try Planner.plan(
            PlanInput(
                study: study, studyFileDirectory: root, studyDirectory: URL(fileURLWithPath: studyDirectory),
                melissaExecutable: "/bin/true"
            )
        )
        _ = try PlanWriter(templates: try TemplateSet()).write(plan)
        #expect(plan.simulations.count == values.count)
        for job in plan.simulations {
            let run = try TestSupport.run("/bin/bash", [studyDirectory + "/scripts/simulation.sh", String(job.id)])
            #expect(run.status == 0, "\(run.error)")
            let value = try Data(contentsOf: URL(fileURLWithPath: studyDirectory + "/simulations/\(job.id)/value.txt"))
            #expect(value == Data(values[job.id].utf8))
        }
        let csvBack = try String(contentsOfFile: studyDirectory + "/parameters.csv", encoding: .utf8)
        #expect(csvBack.hasPrefix("simulation_id,role,p\n"))
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test func shellQuoteRoundTripsThroughBash() throws {
        let marker = "/tmp/pwned-\(UUID().uuidString)"
        for value in Self.hostileValues(marker: marker) + ["\u{7F}\u{01}x", "é ü 日本"] {
            let run = try TestSupport.run("/bin/bash", ["-c", "printf '%s' " + ShellQuote.word(value)])
            #expect(run.output == value)
            #expect(!ShellQuote.word(value).contains("\n"))
        }
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test func nulCannotReachAScript() throws {
        var study = TestSupport.study()
        study.parameters[2] = Parameter(name: "solver", distribution: .choice([.text("a\0b")]))
        #expect(throws: PlanningError.self) { try TestSupport.plan(study) }
    }
}
