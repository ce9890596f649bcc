import Testing

@testable import Sampling

struct DistributionTests {
    private func real(_ value: ParameterValue) throws -> Double {
        guard case .real(let x) = value else { throw SamplingError.invalidDistribution("not a real: \(value)") }
        return x
    }

    /// p and scipy.stats.norm.ppf(p), from Fixtures/normal_ppf.csv (made by Fixtures/make_reference.py).
    @Test func standardNormalQuantileMatchesScipy() throws {
        for row in try Fixture.numbers("normal_ppf.csv") {
            let (p, expected) = (row[0], row[1])
            let x = StandardNormal.quantile(p)
            let tolerance = 1e-9 * max(abs(expected), 1e-300)
            #expect(abs(x - expected) <= tolerance, "quantile(\(p)) = \(x), scipy says \(expected)")
        }
    }

    /// Values of scipy.stats.truncnorm.ppf(q, a, b) (scipy 1.17.1), printed with repr.
    @Test(arguments: [
        (-1.0, 2.0, 0.3, -0.2424038178892269, 1e-9),
        (0.5, .infinity, 0.9, 1.868391595126635, 1e-9),
        (5.0, 6.0, 0.5, 5.131371763283919, 1e-9),
        (-.infinity, -3.0, 0.2, -3.4601077821509847, 1e-9),
        (8.0, 9.0, 0.999, 8.791963586618893, 1e-9),
        // Beyond the range of Φ: the asymptotic expansion of the tail.
        (40.0, 41.0, 0.5, 40.01731412676465, 1e-9),
        (-41.0, -40.0, 0.25, -40.03462077485517, 1e-9),
    ])
    func truncatedNormalMatchesScipy(a: Double, b: Double, q: Double, expected: Double, tolerance: Double) throws {
        let distribution = Distribution.normal(
            mean: 10, std: 2, lower: a.isFinite ? 10 + 2 * a : nil, upper: b.isFinite ? 10 + 2 * b : nil)
        let x = try real(distribution.value(atQuantile: q))
        let scipy = 10 + 2 * expected
        #expect(abs(x - scipy) <= tolerance * abs(scipy), "\(x) vs \(scipy)")
    }

    @Test func uniformAndLogUniformQuantiles() throws {
        let uniform = Distribution.uniform(lower: 100, upper: 500)
        #expect(try real(uniform.value(atQuantile: 0)) == 100)
        #expect(try real(uniform.value(atQuantile: 0.25)) == 200)
        #expect(try real(uniform.value(atQuantile: 1)) == 500)
        let logUniform = Distribution.logUniform(lower: 1e-3, upper: 10)
        #expect(try real(logUniform.value(atQuantile: 0)) == 1e-3)
        #expect(try real(logUniform.value(atQuantile: 1)) == 10)
        #expect(abs(try real(logUniform.value(atQuantile: 0.75)) - 1) < 1e-12)
        #expect(abs(try real(logUniform.value(atQuantile: 0.5)) - 0.1) < 1e-14)
    }

    @Test func normalQuantilesAndExtremes() throws {
        let normal = Distribution.normal(mean: 3, std: 0.5, lower: nil, upper: nil)
        #expect(try real(normal.value(atQuantile: 0.5)) == 3)
        // scipy.stats.norm.ppf(0.9, 3, 0.5) = 3.6407757827723
        #expect(abs(try real(normal.value(atQuantile: 0.9)) - 3.6407757827723002) < 1e-12)
        let low = try real(normal.value(atQuantile: 0))
        let high = try real(normal.value(atQuantile: 1))
        #expect(low.isFinite && high.isFinite)
        #expect(abs(low - (3 - 0.5 * 7.034483825301131)) < 1e-6)
        #expect(abs(high - (3 + 0.5 * 7.034483825301131)) < 1e-4)
    }

    @Test func truncatedNormalStaysWithinItsBounds() throws {
        let cases: [Distribution] = [
            .normal(mean: 0, std: 1, lower: -0.5, upper: 0.25),
            .normal(mean: 0, std: 1, lower: 2, upper: nil),
            .normal(mean: 0, std: 1, lower: nil, upper: -3),
            .normal(mean: 5, std: 1e-3, lower: 6, upper: 6.5),
            .normal(mean: 0, std: 1, lower: 60, upper: 60.0000001),
        ]
        for distribution in cases {
            guard case .normal(_, _, let lower, let upper) = distribution else { continue }
            var previous = -Double.infinity
            for step in 0...1000 {
                let x = try real(distribution.value(atQuantile: Double(step) / 1000))
                #expect(x.isFinite)
                #expect(x >= (lower ?? -.infinity) && x <= (upper ?? .infinity), "\(distribution) at \(step)")
                #expect(x >= previous, "quantiles must not decrease")
                previous = x
            }
        }
    }

    @Test func integerUniformHitsEveryValueAndStaysInRange() {
        let distribution = Distribution.integerUniform(lower: -2, upper: 4)
        var seen: [Int: Int] = [:]
        for step in 0...7000 {
            guard case .integer(let k) = distribution.value(atQuantile: Double(step) / 7000) else {
                Issue.record("not an integer")
                return
            }
            seen[k, default: 0] += 1
        }
        #expect(Set(seen.keys) == Set(-2...4))
        #expect(seen.values.allSatisfy { $0 >= 999 && $0 <= 1001 })
        #expect(distribution.value(atQuantile: 1) == .integer(4))
        #expect(distribution.value(atQuantile: 0) == .integer(-2))
        let wide = Distribution.integerUniform(lower: .min, upper: .max)
        #expect(wide.value(atQuantile: 1) == .integer(.max))
        #expect(wide.value(atQuantile: 0) == .integer(.min))
        #expect(Distribution.integerUniform(lower: 7, upper: 7).value(atQuantile: 0.9) == .integer(7))
    }

    @Test func choicePicksEachValueEquallyAndNeverOverruns() {
        let values: [ParameterValue] = [.text("a"), .integer(2), .real(0.5)]
        let distribution = Distribution.choice(values)
        #expect(distribution.value(atQuantile: 0) == .text("a"))
        #expect(distribution.value(atQuantile: 0.34) == .integer(2))
        #expect(distribution.value(atQuantile: 0.99) == .real(0.5))
        #expect(distribution.value(atQuantile: 1) == .real(0.5))
        #expect(distribution.value(atQuantile: .nan) == .integer(2))
        #expect(distribution.value(atQuantile: 7) == .real(0.5))
    }

    @Test func validationRejectsNonsense() {
        let bad: [Distribution] = [
            .uniform(lower: 1, upper: 1), .uniform(lower: 0, upper: .infinity), .logUniform(lower: 0, upper: 1),
            .normal(mean: 0, std: 0, lower: nil, upper: nil), .normal(mean: 0, std: 1, lower: 2, upper: 1),
            .integerUniform(lower: 3, upper: 2), .choice([]),
        ]
        for distribution in bad {
            #expect(throws: SamplingError.self) { try distribution.validate() }
        }
        #expect(throws: Never.self) { try Distribution.normal(mean: 0, std: 1, lower: 0, upper: nil).validate() }
    }

    @Test func valuesPrintForCommandLines() {
        #expect(ParameterValue.real(500).description == "500.0")
        #expect(ParameterValue.real(0.1).description == "0.1")
        #expect(ParameterValue.integer(-3).description == "-3")
        #expect(ParameterValue.text("a b").description == "a b")
    }
}
