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

    /// plan.json converts keys to and from snake_case; the PyTorch module's options are the user's own names and
    /// must come back exactly as written, in nested mappings and lists too, each value with its type.
    @Test func thePyTorchOptionsSurviveThePlanUnchanged() throws {
        var study = TestSupport.study()
        let options: [String: ConfigValue] = [
            "my_option": .integer(3),
            "camelCase": .number(0.25),
            "whole": .number(2),
            "HTTPServer": .string("x"),
            "with space": .bool(false),
            "nothing": .null,
            "nested": .map([
                "innerCamelKey": .list([.integer(1), .number(2.5), .string("a_b"), .null, .bool(true)]),
                "inner_snake_key": .map([
                    "deepCamel": .integer(-7), "deepWhole": .number(-1e20), "deep_snake": .list([]),
                ]),
                "empty": .map([:]),
            ]),
        ]
        study.training.backend = .pytorch
        study.training.pytorch = PyTorchSpec(
            module: "/home/alice/studies/surrogate.py", model: "build", makeOptimizer: "my_optimizer",
            loss: "huberLoss", device: .cuda, python: "/opt/venv/bin/python", options: options)
        let plan = try TestSupport.plan(study)
        #expect(plan.server.training.pytorch?.options == options)
        let data = try PlanWriter.encode(plan)
        let text = try #require(String(data: data, encoding: .utf8))
        for key in ["my_option", "camelCase", "HTTPServer", "with space", "innerCamelKey", "deepCamel"] {
            #expect(text.contains("\"\(key)\""), "\(key) is written as it is")
        }
        #expect(!text.contains("camel_case") && !text.contains("inner_camel_key") && !text.contains("h_t_t_p"))
        // plan.json is pretty-printed: `"key" : value`; the compact form is accepted too.
        let compact = text.replacingOccurrences(of: "\" : ", with: "\":")
        #expect(compact.contains(#""make_optimizer":"my_optimizer""#) && compact.contains(#""backend":"pytorch""#))
        let decoded = try PlanWriter.decode(data)
        #expect(decoded.server.training.backend == .pytorch)
        #expect(decoded.server.training.pytorch == plan.server.training.pytorch)
        #expect(decoded.server.training.pytorch?.options == options)
        #expect(decoded == plan)
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
