import Foundation
import PlanModel
import Planning
import StudySpec
import Testing

@Suite struct WriterTests {
    @Test func writesTheStudyDirectoryAndKeepsTheToken() throws {
        let root = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let directory = root.appendingPathComponent("study").path
        let plan = try TestSupport.plan(TestSupport.study(scheduler: .slurm), studyDirectory: directory)
        let writer = PlanWriter(templates: try TemplateSet())
        let first = try writer.write(plan)
        #expect(first.tokenCreated)
        #expect(
            first.files == [
                "token", "plan.json", "parameters.csv", "scripts/server.sbatch", "scripts/simulations.sbatch",
                "scripts/simulations.values",
            ]
        )
        let manager = FileManager.default
        let tokenPath = directory + "/token"
        let attributes = try manager.attributesOfItem(atPath: tokenPath)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let token = try String(contentsOfFile: tokenPath, encoding: .utf8).trimmingCharacters(in: .newlines)
        #expect(token.count == 64 && token.allSatisfy(\.isHexDigit))
        let script = try manager.attributesOfItem(atPath: directory + "/scripts/server.sbatch")
        #expect((script[.posixPermissions] as? NSNumber)?.intValue == 0o755)
        #expect(manager.fileExists(atPath: directory + "/logs"))

        // Re-planning keeps the token and replaces the scripts.
        let jobs = try TestSupport.plan(TestSupport.study(scheduler: .slurm, packing: .jobs), studyDirectory: directory)
        let second = try writer.write(jobs)
        #expect(!second.tokenCreated)
        #expect(try String(contentsOfFile: tokenPath, encoding: .utf8).trimmingCharacters(in: .newlines) == token)
        #expect(!manager.fileExists(atPath: directory + "/scripts/simulations.sbatch"))
        #expect(manager.fileExists(atPath: directory + "/scripts/simulation-9.sbatch"))

        // The token is in no file but its own.
        for file in try manager.subpathsOfDirectory(atPath: directory) where file != "token" {
            var isDirectory: ObjCBool = false
            _ = manager.fileExists(atPath: directory + "/" + file, isDirectory: &isDirectory)
            if isDirectory.boolValue { continue }
            let text = try String(contentsOfFile: directory + "/" + file, encoding: .utf8)
            #expect(!text.contains(token), "\(file) holds the token")
        }

        let decoded = try PlanWriter.decode(try Data(contentsOf: URL(fileURLWithPath: directory + "/plan.json")))
        #expect(decoded == jobs)
    }

    @Test func parametersCSV() throws {
        var study = TestSupport.study()
        study.parameters[2] = Parameter(name: "solver", distribution: .choice([.text("a,\"b\"\nc")]))
        let plan = try TestSupport.plan(study)
        let csv = PlanWriter.parametersCSV(plan)
        let lines = csv.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[0] == "simulation_id,role,T0,n,solver")
        #expect(lines[1].hasPrefix("0,training,"))
        #expect(lines[1].hasSuffix(",\"a,\"\"b\"\""))
        #expect(csv.contains("9,validation,"))
    }
}
