import Foundation
import Testing

@testable import StudySpec

/// The keys of trustworthy training: field ranges, the normalisation warm-up, the schedule by progress, the
/// validation subsample, time-based checkpoints, offline mode and its epochs.
@Test func theTrainingKeysAreReadWithTheirDefaults() throws {
    let yaml = replacingLine(
        "fields:", with: "fields: [{name: temperature, size: 4, range: [100, 500]}]",
        in: replacingLine(
            "batch_size:",
            with: """
                batch_size: 10
                  epochs: 7
                  checkpoint_every_seconds: 30
                  normalization: {outputs: per_field, warmup_samples: 500, warmup_simulations: 3}
                  optimizer: {decay_at: [0.6, 0.8]}
                  validation: {simulations: 2, subsample: 40, require_skill: false}
                """,
            in: replacingLine("scheduler:", with: "scheduler: local\n  mode: offline")))
    let study = try StudyLoader.parse(yaml, fileName: "study.yaml", directory: URL(fileURLWithPath: "/tmp")).study
    #expect(study.simulation.fields[0].range == 100...500)
    #expect(study.training.epochs == 7)
    #expect(study.training.checkpointEverySeconds == 30 && study.training.checkpointEveryBatches == nil)
    #expect(
        study.training.normalization
            == NormalizationSpec(outputs: .perField, warmupSamples: 500, warmupSimulations: 3))
    #expect(study.training.optimizer.effectiveDecayAt == [0.6, 0.8])
    #expect(study.training.validation.subsample == 40 && study.training.validation.requireSkill == false)
    #expect(study.execution.mode == .offline)

    let defaults = try StudyLoader.parse(validStudy, fileName: "study.yaml", directory: URL(fileURLWithPath: "/tmp"))
        .study
    #expect(defaults.execution.mode == .online)
    #expect(defaults.training.optimizer.effectiveDecayAt == [0.5, 0.75, 0.9])
    #expect(defaults.training.normalization == nil)
    #expect(NormalizationSpec().outputs == .perElement)
}

@Test(arguments: [
    ("fields: [{name: temperature, range: [5, 1]}]", "simulation.fields[0].range", "lower < upper"),
    ("batch_size: 10\n  epochs: 0", "training.epochs", "positive number"),
    ("batch_size: 10\n  optimizer: {decay_at: [0.9, 0.5]}", "training.optimizer.decay_at", "increasing fractions"),
    ("batch_size: 10\n  checkpoint_every_seconds: -1", "training.checkpoint_every_seconds", "positive number"),
    ("batch_size: 10\n  normalization: {outputs: per_pixel}", "training.normalization.outputs", "per_field"),
    ("scheduler: local\n  mode: offlien", "execution.mode", "offline"),
])
func badTrainingKeysAreReportedWhereTheyAre(line: String, key: String, expected: String) {
    let prefix = String(line.prefix { $0 != ":" })
    let found = diagnostics(of: replacingLine(prefix + ":", with: line))
    #expect(found.count == 1, "\(found)")
    #expect(found.first?.contains(key + ":") == true, "\(found)")
    #expect(found.first?.contains(expected) == true, "\(found)")
}
