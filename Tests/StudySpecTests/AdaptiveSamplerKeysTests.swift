import Foundation
import Testing

@testable import StudySpec

/// `sampler: {kind: adaptive, …}`: every key read, its defaults, and its errors at their place.
@Suite("adaptive sampler keys")
struct AdaptiveSamplerKeysTests {
    static func study(_ sampler: String) -> String {
        validStudy.replacingOccurrences(of: "sampler: {kind: sobol, count: 8}", with: sampler)
    }

    @Test("every key is read; the others take their defaults")
    func everyKeyIsRead() throws {
        let yaml = Self.study(
            """
            sampler:
              kind: adaptive
              initial: {kind: halton, count: 64, scramble: false}
              count: 256
              batch: 32
              strategy: breed
              exploration: [0.9, 0.2]
              mutation: 0.05
              signal: delta
            """)
        let study = try StudyLoader.parse(yaml, fileName: "study.yaml", directory: URL(fileURLWithPath: "/tmp")).study
        let rules = try #require(study.sampler.adaptive)
        #expect(study.sampler.kind == .adaptive && study.sampler.count == 256)
        #expect(rules.initialKind == .halton && rules.initialCount == 64 && rules.initialScramble == .none)
        #expect(rules.batch == 32 && rules.strategy == .breed && rules.signal == .delta)
        #expect(rules.exploration == [0.9, 0.2] && rules.mutation == [0.05, 0.05])
        let defaults = try StudyLoader.parse(
            Self.study("sampler: {kind: adaptive, initial: {count: 8}, count: 40}"), fileName: "study.yaml",
            directory: URL(fileURLWithPath: "/tmp")
        ).study.sampler.adaptive
        #expect(defaults == AdaptiveSamplerSpec(initialCount: 8))
    }

    @Test("its errors say where and what is expected")
    func errorsAtTheirPlace() {
        #expect(
            diagnostics(of: Self.study("sampler: {kind: adaptive, count: 40}")) == [
                "study.yaml:7:10: sampler.initial: missing; expected the initial design, e.g. "
                    + "`initial: {kind: sobol, count: 64}`"
            ])
        #expect(
            diagnostics(of: Self.study("sampler: {kind: adaptive, initial: {count: 40}, count: 40}")) == [
                "study.yaml:7:36: sampler.initial.count: 40 initial simulations leave none of the 40 to choose; "
                    + "expected fewer than `count`"
            ])
        #expect(
            diagnostics(of: Self.study("sampler: {kind: adaptive, initial: {kind: grid, count: 4}, count: 40}")) == [
                "study.yaml:7:43: sampler.initial.kind: expected a space-filling design, one of `sobol`, `halton`, "
                    + "`latin-hypercube` and `monte-carlo`"
            ])
        #expect(
            diagnostics(of: Self.study("sampler: {kind: sobol, count: 8, batch: 4}")) == [
                "study.yaml:7:41: sampler.batch: is not used by the `sobol` sampler; it belongs to `kind: adaptive` "
                    + "(docs/active-sampling.md)"
            ])
        #expect(
            diagnostics(
                of: Self.study("sampler: {kind: adaptive, initial: {count: 4}, count: 40, exploration: [0.5, 1.5]}")
            ) == ["study.yaml:7:78: sampler.exploration: expected a fraction in [0, 1], or `[start, end]`, found 1.5"])
    }
}
