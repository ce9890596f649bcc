import Foundation
import Testing

@testable import StudySpec

/// `training.backend` and `training.pytorch`: the user's PyTorch module, its hooks, device, interpreter and options.
@Suite struct PyTorchKeysTests {
    /// A study directory holding `surrogate.py`, `models/unet.py`, `notes.txt` and a directory `package.py`.
    static func studyDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("melissa-pytorch-keys-\(UUID().uuidString)", isDirectory: true)
        let manager = FileManager.default
        try manager.createDirectory(
            at: directory.appendingPathComponent("models"), withIntermediateDirectories: true)
        try manager.createDirectory(
            at: directory.appendingPathComponent("package.py"), withIntermediateDirectories: true)
        for file in ["surrogate.py", "models/unet.py", "notes.txt"] {
            try Data("def make_model(inputs, outputs, config): ...\n".utf8)
                .write(to: directory.appendingPathComponent(file))
        }
        return directory
    }

    /// The valid study with `lines` after `batch_size: 10` in the training section (line 15, so the first added
    /// line is line 16, its keys at column 3).
    static func study(_ lines: String) -> String {
        replacingLine("batch_size:", with: "batch_size: 10\n  " + lines.replacingOccurrences(of: "\n", with: "\n  "))
    }

    static func parse(_ yaml: String, in directory: URL) throws -> Study {
        try StudyLoader.parse(yaml, fileName: "study.yaml", directory: directory).study
    }

    static func problems(_ yaml: String, in directory: URL) -> [String] {
        do {
            _ = try parse(yaml, in: directory)
            return []
        } catch let error as StudyValidationError {
            return error.diagnostics.map(\.description)
        } catch {
            return ["unexpected error: \(error)"]
        }
    }

    @Test func aFullSectionIsReadWithTheModuleAbsoluteAndTheOptionsTyped() throws {
        let directory = try Self.studyDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let yaml = Self.study(
            """
            backend: pytorch
            pytorch:
              module: models/unet.py
              model: build_unet
              make_optimizer: my_optimizer
              loss: _huber
              device: cuda
              python: /opt/venv/bin/python
              options:
                width: 32
                dropout: 0.25
                scale: 1.0e-3
                batch_norm: true
                name: unet
                quoted: "12"
                flag: yes
                word: "no"
                nothing: null
                channels: [16, 32, 64]
                nested: {my_option: 1, camelCase: 2.5, deeper: {x: [1, two, false]}}
            """)
        let training = try Self.parse(yaml, in: directory).training
        #expect(training.backend == .pytorch)
        #expect(training.effectiveBackend == .pytorch)
        let spec = try #require(training.pytorch)
        #expect(spec.module == directory.appendingPathComponent("models/unet.py").standardizedFileURL.path)
        #expect(spec.module.hasPrefix("/") && spec.module.hasSuffix("/models/unet.py"))
        #expect(spec.model == "build_unet")
        #expect(spec.makeOptimizer == "my_optimizer")
        #expect(spec.loss == "_huber")
        #expect(spec.device == .cuda)
        #expect(spec.python == "/opt/venv/bin/python")
        let expected: [String: ConfigValue] = [
            "width": .integer(32),
            "dropout": .number(0.25),
            "scale": .number(1e-3),
            "batch_norm": .bool(true),
            "name": .string("unet"),
            "quoted": .string("12"),
            "flag": .bool(true),
            "word": .string("no"),
            "nothing": .null,
            "channels": .list([.integer(16), .integer(32), .integer(64)]),
            "nested": .map([
                "my_option": .integer(1), "camelCase": .number(2.5),
                "deeper": .map(["x": .list([.integer(1), .string("two"), .bool(false)])]),
            ]),
        ]
        #expect(spec.options == expected)
    }

    @Test func aBareInterpreterNameIsLookedUpInPATHAndAPathIsKept() throws {
        let bin = FileManager.default.temporaryDirectory.appendingPathComponent("melissa-path-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: bin) }
        let python = bin.appendingPathComponent("mypython")
        try "#!/bin/sh\n".write(to: python, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: python.path)
        let environment = ["PATH": "/nonexistent:\(bin.path)"]
        #expect(StudyParser.interpreterPath("mypython", environment: environment) == python.path)
        #expect(StudyParser.interpreterPath("absent-python", environment: environment) == "absent-python")
        #expect(StudyParser.interpreterPath("/opt/venv/bin/python", environment: environment) == "/opt/venv/bin/python")
    }

    @Test func theDefaults() throws {
        let directory = try Self.studyDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let spec = try #require(
            try Self.parse(Self.study("backend: pytorch\npytorch: {module: surrogate.py}"), in: directory).training
                .pytorch)
        // The default interpreter is `python3` as found in PATH when planning (the name itself when it is not there).
        let python3 = StudyParser.interpreterPath("python3")
        #expect(
            spec
                == PyTorchSpec(
                    module: directory.appendingPathComponent("surrogate.py").standardizedFileURL.path, python: python3))
        #expect(spec.model == "make_model" && spec.makeOptimizer == nil && spec.loss == nil)
        #expect(spec.device == .auto && python3.hasSuffix("python3") && spec.options.isEmpty)

        // Without the key, and with `backend: native`, the native trainer trains and there is no PyTorch section.
        let plain = try Self.parse(validStudy, in: directory).training
        #expect(plain.backend == nil && plain.pytorch == nil && plain.effectiveBackend == .native)
        let native = try Self.parse(Self.study("backend: native\nmodel: {hidden: [8]}"), in: directory).training
        #expect(native.backend == .native && native.pytorch == nil && native.effectiveBackend == .native)
        #expect(native.model.hidden == [8])

        // An absolute module stays as it is; an empty options mapping is no options.
        let absolute = directory.appendingPathComponent("surrogate.py").path
        let given = try Self.parse(
            Self.study("backend: pytorch\npytorch: {module: \(absolute), options: {}}"), in: directory
        ).training.pytorch
        #expect(given?.module == absolute && given?.options == [:])
    }

    /// A problem, the lines that cause it after `batch_size: 10`, and the one diagnostic expected (its start).
    struct Problem: Sendable, CustomTestStringConvertible {
        let name: String
        let lines: String
        let expected: String
        var testDescription: String { name }
    }

    static let problemCases: [Problem] = [
        Problem(
            name: "backend pytorch without its section", lines: "backend: pytorch",
            expected: "study.yaml:16:12: training.pytorch: missing section; `backend: pytorch` needs `pytorch: "),
        Problem(
            name: "an empty section", lines: "backend: pytorch\npytorch:",
            expected: "study.yaml:17:3: training.pytorch: missing section"),
        Problem(
            name: "a section without the backend", lines: "pytorch: {module: surrogate.py}",
            expected: "study.yaml:16:3: training.pytorch: is only read with `backend: pytorch`; add `backend: pytorch`"),
        Problem(
            name: "a section with the native backend", lines: "backend: native\npytorch: {module: surrogate.py}",
            expected: "study.yaml:17:3: training.pytorch: is not used with `backend: native`; set `backend: pytorch`"),
        Problem(
            name: "a misspelt backend", lines: "backend: pytroch\npytorch: {module: surrogate.py}",
            expected: "study.yaml:16:12: training.backend: unknown value `pytroch`; did you mean `pytorch`?"),
        Problem(
            name: "the native model with the PyTorch backend",
            lines: "backend: pytorch\nmodel: {hidden: [8]}\npytorch: {module: surrogate.py}",
            expected: "study.yaml:17:3: training.model: is not used with `backend: pytorch` (the model is the module's"),
        Problem(
            name: "an unknown key", lines: "backend: pytorch\npytorch:\n  module: surrogate.py\n  devise: cpu",
            expected: "study.yaml:19:5: training.pytorch.devise: unknown key; did you mean `device`?"),
        Problem(
            name: "a misspelt device", lines: "backend: pytorch\npytorch:\n  module: surrogate.py\n  device: cdua",
            expected: "study.yaml:19:13: training.pytorch.device: unknown value `cdua`; did you mean `cuda`?"),
        Problem(
            name: "no module", lines: "backend: pytorch\npytorch:\n  device: cpu",
            expected: "study.yaml:18:5: training.pytorch.module: missing; expected the Python file of the model"),
        Problem(
            name: "an empty module", lines: "backend: pytorch\npytorch:\n  module:\n  device: cpu",
            expected: "study.yaml:18:5: training.pytorch.module: missing; expected the Python file of the model"),
        Problem(
            name: "a module that is not Python", lines: "backend: pytorch\npytorch: {module: notes.txt}",
            expected: "study.yaml:17:21: training.pytorch.module: `notes.txt` does not end in `.py`"),
        Problem(
            name: "a module that does not exist", lines: "backend: pytorch\npytorch: {module: models/absent.py}",
            expected: "study.yaml:17:21: training.pytorch.module: `/"),
        Problem(
            name: "a module that is a directory", lines: "backend: pytorch\npytorch: {module: package.py}",
            expected: "study.yaml:17:21: training.pytorch.module: `/"),
        Problem(
            name: "a factory that is not a name",
            lines: "backend: pytorch\npytorch: {module: surrogate.py, model: make-model}",
            expected:
                "study.yaml:17:42: training.pytorch.model: `make-model` is not a valid name; expected the name of the "
                + "factory `make_model(inputs, outputs, config) -> torch.nn.Module`"),
        Problem(
            name: "an optimizer hook that is a number",
            lines: "backend: pytorch\npytorch: {module: surrogate.py, make_optimizer: 3adam}",
            expected: "study.yaml:17:51: training.pytorch.make_optimizer: `3adam` is not a valid name"),
        Problem(
            name: "a loss hook that is a keyword",
            lines: "backend: pytorch\npytorch: {module: surrogate.py, loss: lambda}",
            expected: "study.yaml:17:41: training.pytorch.loss: `lambda` is a Python keyword, not a function name"),
        Problem(
            name: "an empty interpreter", lines: "backend: pytorch\npytorch: {module: surrogate.py, python: \"\"}",
            expected: "study.yaml:17:43: training.pytorch.python: is empty; expected the Python interpreter"),
        Problem(
            name: "options that are a list", lines: "backend: pytorch\npytorch: {module: surrogate.py, options: [1]}",
            expected: "study.yaml:17:44: training.pytorch.options: expected a mapping of settings for the module's"),
        Problem(
            name: "an option the server fills",
            lines: "backend: pytorch\npytorch:\n  module: surrogate.py\n  options: {width: 8, fields: [a]}",
            expected: "study.yaml:19:25: training.pytorch.options.fields: is filled by the server in `config`"),
        Problem(
            name: "an infinite option",
            lines: "backend: pytorch\npytorch:\n  module: surrogate.py\n  options:\n    nested: {scale: .inf}",
            expected: "study.yaml:20:23: training.pytorch.options.nested.scale: expected a finite number"),
        Problem(
            name: "a duplicate option",
            lines: "backend: pytorch\npytorch:\n  module: surrogate.py\n  options: {a: [{b: 1, b: 2}]}",
            expected: "study.yaml:19:20: b: duplicate key in this mapping"),
    ]

    @Test(arguments: problemCases)
    func eachProblemIsReportedWhereItIs(_ problem: Problem) throws {
        let directory = try Self.studyDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let found = Self.problems(Self.study(problem.lines), in: directory)
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.hasPrefix(problem.expected) == true, "\(found)")
    }

    @Test func aMissingOrDirectoryModuleIsNamedByItsAbsolutePath() throws {
        let directory = try Self.studyDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let absent = Self.problems(Self.study("backend: pytorch\npytorch: {module: models/absent.py}"), in: directory)
        let path = directory.appendingPathComponent("models/absent.py").standardizedFileURL.path
        #expect(absent.first?.contains("`\(path)` does not exist; expected the Python file") == true, "\(absent)")
        let folder = Self.problems(Self.study("backend: pytorch\npytorch: {module: package.py}"), in: directory)
        let folderPath = directory.appendingPathComponent("package.py").standardizedFileURL.path
        #expect(folder.first?.contains("`\(folderPath)` is not a readable regular file") == true, "\(folder)")
    }

    @Test func everyProblemOfTheSectionIsReportedInOnePass() throws {
        let directory = try Self.studyDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let found = Self.problems(
            Self.study(
                """
                backend: pytorch
                model: {hidden: [8]}
                pytorch:
                  module: absent.py
                  model: 1x
                  device: gpu
                  options: {batch_size: 4}
                """), in: directory)
        #expect(found.count == 5, "\(found)")
        for key in ["training.model:", "module:", "pytorch.model:", "device:", "options.batch_size:"] {
            #expect(found.contains { $0.contains(key) }, "\(key) in \(found)")
        }
    }
}
