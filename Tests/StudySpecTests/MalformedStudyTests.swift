import Foundation
import Testing

@testable import StudySpec

/// A study file that is valid as it stands; each malformed case below replaces one line of it.
let validStudy = """
    study:
      name: heat-pde
      seed: 7
    parameters:
      T0: {uniform: [100, 500]}
      T1: {uniform: [100, 500]}
    sampler: {kind: sobol, count: 8}
    simulation:
      command: ./heat --steps {{time_steps}} {{T0}} {{T1}}
      fields: [temperature]
      time_steps: 100
      resources: {tasks: 2, walltime: "00:10:00"}
    buffer: {policy: reservoir, capacity: 6000, watermark: 1000}
    training:
      batch_size: 10
    execution:
      scheduler: local
      concurrency: {min: 1, max: 4}
    """

/// Replaces the line that starts with `prefix` (after indentation) by `replacement`, keeping the indentation.
func replacingLine(_ prefix: String, with replacement: String, in text: String = validStudy) -> String {
    var lines = text.components(separatedBy: "\n")
    guard let index = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix(prefix) }) else {
        Issue.record("no line starts with \(prefix)")
        return text
    }
    let indent = lines[index].prefix { $0 == " " }
    lines[index] = indent + replacement
    return lines.joined(separator: "\n")
}

func diagnostics(of yaml: String) -> [String] {
    do {
        _ = try StudyLoader.parse(yaml, fileName: "study.yaml", directory: URL(fileURLWithPath: "/tmp"))
        return []
    } catch let error as StudyValidationError {
        return error.diagnostics.map(\.description)
    } catch {
        return ["unexpected error: \(error)"]
    }
}

struct MalformedCase: Sendable, CustomTestStringConvertible {
    let name: String
    let yaml: String
    let expected: [String]
    var testDescription: String { name }

    init(_ name: String, _ yaml: String, _ expected: String...) {
        self.name = name
        self.yaml = yaml
        self.expected = expected
    }
}

let malformedCases: [MalformedCase] = [
    MalformedCase(
        "a field shape whose product is not the size",
        replacingLine("fields:", with: "fields: [{name: temperature, size: 100, shape: [10, 20]}]"),
        "study.yaml:10:50: simulation.fields[0].shape: 10 × 20 is 200 values, but `size` is 100; expected extents "
            + "whose product is the size"),
    MalformedCase(
        "a field shape of three extents",
        replacingLine("fields:", with: "fields: [{name: temperature, shape: [2, 3, 4]}]"),
        "study.yaml:10:39: simulation.fields[0].shape: expected 1 or 2 extents (`[n]` or `[rows, columns]`), found 3"),
    MalformedCase(
        "watermark above capacity",
        replacingLine("buffer:", with: "buffer: {policy: reservoir, capacity: 6000, watermark: 8000}"),
        "study.yaml:13:56: buffer.watermark: 8000 is larger than buffer.capacity (6000)"),
    MalformedCase(
        "misspelt key",
        replacingLine("time_steps:", with: "time_step: 100"),
        "study.yaml:9:3: simulation.time_steps: missing; expected the number of time steps each simulation sends, e.g. `time_steps: 100`",
        "study.yaml:11:3: simulation.time_step: unknown key; did you mean `time_steps`?"),
    MalformedCase(
        "unknown key far from any",
        replacingLine("batch_size:", with: "flux_capacitor: 3"),
        "study.yaml:15:3: training.flux_capacitor: unknown key; expected one of `ranks`, `threads`, `model`, "
            + "`batch_size`, `optimizer`, `validation`, `checkpoint_every_batches`, `normalization`, "
            + "`checkpoint_every_seconds`, `epochs`, `backend` and `pytorch`"),
    MalformedCase(
        "threads neither auto nor a number",
        replacingLine("batch_size:", with: "threads: many"),
        "study.yaml:15:12: training.threads: expected `auto` or a positive number of threads, found `many`"),
    MalformedCase(
        "zero threads",
        replacingLine("batch_size:", with: "threads: 0"),
        "study.yaml:15:12: training.threads: 0 is too small; expected `auto` or a positive number of threads"),
    MalformedCase(
        "unknown section",
        validStudy + "\nbufer: {}",
        "study.yaml:19:1: bufer: unknown key; did you mean `buffer`?"),
    MalformedCase(
        "concurrency min above max",
        replacingLine("concurrency:", with: "concurrency: {min: 5, max: 2}"),
        "study.yaml:18:30: execution.concurrency.max: 2 is smaller than execution.concurrency.min (5)"),
    MalformedCase(
        "unknown placeholder",
        replacingLine("command:", with: "command: ./heat {{T2}}"),
        "study.yaml:9:19: simulation.command: unknown placeholder `{{T2}}`; expected a parameter "
            + "(`T0` and `T1`) or a built-in (`simulation_id`, `attempt`, `study_dir`, `study_file_dir`, `study_name`, "
            + "`time_steps` and `tasks`)"),
    MalformedCase(
        "quoted placeholder",
        replacingLine("command:", with: #"command: ./heat --label "x{{T0}}""#),
        "study.yaml:9:29: simulation.command: placeholder `{{T0}}` inside quotes; melissa quotes each value itself, "
            + "so write it unquoted"),
    MalformedCase(
        "negative time steps",
        replacingLine("time_steps:", with: "time_steps: -5"),
        "study.yaml:11:15: simulation.time_steps: -5 is too small; expected a positive number of time steps"),
    MalformedCase(
        "zero count",
        replacingLine("sampler:", with: "sampler: {kind: sobol, count: 0}"),
        "study.yaml:7:31: sampler.count: 0 is too small; expected a positive number of simulations"),
    MalformedCase(
        "bad walltime",
        replacingLine("resources:", with: #"resources: {tasks: 2, walltime: "10:99:00"}"#),
        "study.yaml:12:35: simulation.resources.walltime: expected a walltime `HH:MM:SS`, `MM:SS`, `MM` or "
            + "`D-HH:MM:SS`, found `10:99:00`"),
    MalformedCase(
        "slurm without section",
        replacingLine("scheduler:", with: "scheduler: slurm"),
        "study.yaml:17:14: execution.scheduler: is `slurm` but there is no `execution.slurm` section; expected one "
            + "(it may be empty: `slurm: {}`)"),
    MalformedCase(
        "misspelt enumeration value",
        replacingLine("buffer:", with: "buffer: {policy: resevoir}"),
        "study.yaml:13:18: buffer.policy: unknown value `resevoir`; did you mean `reservoir`?"),
    MalformedCase(
        "inverted bounds",
        replacingLine("T1:", with: "T1: {uniform: [500, 100]}"),
        "study.yaml:6:17: parameters.T1.uniform: the lower bound 500 is not below the upper bound 100"),
    MalformedCase(
        "two distributions",
        replacingLine("T1:", with: "T1: {uniform: [1, 2], integer: [1, 2]}"),
        "study.yaml:6:7: parameters.T1: gives 2 distributions; expected exactly one of `uniform`, `log_uniform`, "
            + "`normal`, `integer` and `choice`"),
    MalformedCase(
        "log-uniform through zero",
        replacingLine("T1:", with: "T1: {log_uniform: [0, 1]}"),
        "study.yaml:6:21: parameters.T1.log_uniform: the lower bound 0.0 is not positive; a log-uniform distribution "
            + "needs 0 < lower < upper"),
    MalformedCase(
        "normal without std",
        replacingLine("T1:", with: "T1: {normal: {mean: 3}}"),
        "study.yaml:6:16: parameters.T1.normal.std: missing; expected the standard deviation, e.g. `{mean: 0, std: 1}`"),
    MalformedCase(
        "batch larger than buffer",
        replacingLine("batch_size:", with: "batch_size: 7000"),
        "study.yaml:15:15: training.batch_size: 7000 is larger than buffer.capacity (6000); a batch must fit in the buffer"
    ),
    MalformedCase(
        "text where a number goes",
        replacingLine("seed:", with: "seed: lots"),
        "study.yaml:3:9: study.seed: expected a non-negative integer, found `lots`"),
    MalformedCase(
        "parameter named like a built-in",
        replacingLine("T1:", with: "attempt: {uniform: [1, 2]}"),
        "study.yaml:6:3: parameters.attempt: `attempt` is a built-in placeholder; choose another parameter name",
        "study.yaml:9:49: simulation.command: unknown placeholder `{{T1}}`; expected a parameter "
            + "(`T0` and `attempt`) or a built-in (`simulation_id`, `attempt`, `study_dir`, `study_file_dir`, "
            + "`study_name`, `time_steps` and `tasks`)"),
    MalformedCase(
        "duplicate key",
        replacingLine("seed:", with: "seed: 7\n  name: again"),
        "study.yaml:4:3: name: duplicate key (first given at line 2, column 3)"),
    MalformedCase(
        "sbatch injection through a partition",
        replacingLine("scheduler:", with: "scheduler: slurm\n  slurm: {partition: \"debug\\n#SBATCH --uid=0\"}"),
        "study.yaml:18:22: execution.slurm.partition: `debug\\n#SBATCH --uid=0` holds a blank, quote or shell "
            + "character; expected a Slurm partition such as `gpu`"),
    MalformedCase(
        "grid without levels for a continuous parameter",
        replacingLine("sampler:", with: "sampler: {kind: grid}"),
        "study.yaml:7:10: sampler.levels: no number of levels for `T0` and `T1`; expected `levels: N` or a mapping "
            + "such as `levels: {T0: 5}`"),
    MalformedCase(
        "count with a grid",
        replacingLine("sampler:", with: "sampler: {kind: grid, levels: 3, count: 9}"),
        "study.yaml:7:41: sampler.count: is not used by the `grid` sampler; a grid has as many points as the product "
            + "of its levels"),
    MalformedCase(
        "broken YAML",
        replacingLine("fields:", with: "fields: [temperature"),
        "study.yaml:11:13: invalid YAML: while parsing a flow sequence did not find expected ',' or ']'"),
    MalformedCase(
        "section of the wrong shape",
        replacingLine("buffer:", with: "buffer: [fifo, 100]"),
        "study.yaml:13:9: buffer: expected a mapping with the keys `policy`, `capacity` and `watermark`, found a list"),
    MalformedCase(
        "unclosed placeholder",
        replacingLine("command:", with: "command: ./heat {{T0}} {{T1"),
        "study.yaml:9:26: simulation.command: unclosed placeholder; expected `{{name}}`"),
    MalformedCase(
        "a command that starts with a placeholder, unquoted",
        replacingLine("command:", with: "command: {{study_dir}}/heat {{T0}}"),
        "study.yaml:9:25: invalid YAML: while parsing a block mapping did not find expected key (a value that starts "
            + "with `{{` must be quoted: YAML reads `{` as the start of a mapping)"),
    MalformedCase(
        "environment variable without a value",
        replacingLine("fields:", with: "fields: [temperature]\n  environment: {A: ~}"),
        "study.yaml:11:20: simulation.environment.A: has no value; write `\"\"` for an empty one"),
    MalformedCase(
        "more server nodes than ranks",
        replacingLine("concurrency:", with: "concurrency: {min: 1, max: 4}\n  server: {nodes: 2}"),
        "study.yaml:19:19: execution.server.nodes: 2 nodes for 1 training rank; expected at most one node per rank "
            + "(training.ranks)"),
    MalformedCase(
        "nodes without tasks",
        replacingLine("resources:", with: "resources: {nodes: 3}"),
        "study.yaml:12:22: simulation.resources.nodes: 1 task cannot fill 3 nodes; expected at least one task per node"),
    MalformedCase(
        "momentum with adam",
        replacingLine("batch_size:", with: "batch_size: 10\n  optimizer: {kind: adam, momentum: 0.5}"),
        "study.yaml:16:37: training.optimizer.momentum: is used by `sgd` only; remove it or set `kind: sgd`"),
    MalformedCase(
        "more grid levels than choices",
        replacingLine("T1:", with: "T1: {choice: [a, b]}").replacingOccurrences(
            of: "sampler: {kind: sobol, count: 8}", with: "sampler: {kind: grid, levels: {T0: 3, T1: 4}}"),
        "study.yaml:7:31: sampler.levels: 4 levels for `T1`, which has only 2 distinct values; expected at most 2"),
    MalformedCase(
        "a section named as another form of its word",
        validStudy.replacingOccurrences(
            of: "sampler: {kind: sobol, count: 8}", with: "sampling: {kind: sobol, count: 8}"),
        "study.yaml:1:1: sampler: missing section; every study needs `study`, `parameters`, `sampler` and `simulation`",
        "study.yaml:7:1: sampling: unknown key; did you mean `sampler`?"),
    MalformedCase(
        "a placeholder with a letter for a digit, parameters listed in the file's order",
        replacingLine("T0:", with: "x0: {uniform: [100, 500]}").replacingOccurrences(
            of: "{{T0}} {{T1}}", with: "{{xo}} {{T1}}"),
        "study.yaml:9:42: simulation.command: unknown placeholder `{{xo}}`; did you mean `{{x0}}`? expected a "
            + "parameter (`x0` and `T1`) or a built-in (`simulation_id`, `attempt`, `study_dir`, `study_file_dir`, "
            + "`study_name`, `time_steps` and `tasks`)"),
    MalformedCase(
        "a quoted count",
        replacingLine("sampler:", with: "sampler: {kind: sobol, count: \"12\"}"),
        "study.yaml:7:31: sampler.count: expected a positive number of simulations, found the string \"12\" "
            + "(quoted: write it without quotes for a number)"),
    MalformedCase(
        "a given-up tolerance over 1",
        replacingLine("time_steps:", with: "time_steps: 100\n  given_up_tolerance: {training: 1.5}"),
        "study.yaml:12:34: simulation.given_up_tolerance.training: expected a fraction in [0, 1], found 1.5"),
    MalformedCase(
        "bad environment variable name",
        replacingLine("fields:", with: "fields: [temperature]\n  environment: {MELISSA_TOKEN: x}"),
        "study.yaml:11:17: simulation.environment.MELISSA_TOKEN: `MELISSA_TOKEN` is set by melissa or Slurm; "
            + "choose a name without the `MELISSA_` or `SLURM_` prefix"),
]

@Test("a malformed study is reported at the exact place", arguments: malformedCases)
func malformedStudy(_ testCase: MalformedCase) {
    #expect(diagnostics(of: testCase.yaml) == testCase.expected)
}

@Test func theBaseStudyIsValid() {
    #expect(diagnostics(of: validStudy) == [])
}

@Test func everyProblemIsReportedAtOnce() {
    var yaml = replacingLine("buffer:", with: "buffer: {policy: resevoir, capacity: 10, watermark: 20}")
    yaml = replacingLine("time_steps:", with: "time_steps: 0", in: yaml)
    yaml = replacingLine("T0:", with: "T0: {uniform: [5, 1]}", in: yaml)
    let found = diagnostics(of: yaml)
    #expect(found.count == 4)
    #expect(found.contains { $0.contains("buffer.policy") })
    #expect(found.contains { $0.contains("buffer.watermark: 20 is larger than buffer.capacity (10)") })
    #expect(found.contains { $0.contains("training.batch_size") } == false)
    #expect(found.contains { $0.contains("simulation.time_steps") })
    #expect(found.contains { $0.contains("parameters.T0.uniform") })
}

@Test func aMissingFileIsReported() {
    #expect(throws: StudyValidationError.self) {
        _ = try StudyLoader.load(contentsOf: URL(fileURLWithPath: "/nonexistent/study.yaml"))
    }
}

@Test func anEmptyFileNamesTheSections() {
    #expect(
        diagnostics(of: "") == [
            "study.yaml:1:1: the study file is empty; expected the sections `study`, `parameters`, `sampler`, "
                + "`simulation`, `buffer`, `training` and `execution`"
        ])
}
