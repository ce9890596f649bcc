import Foundation
import Testing

@testable import Training

/// `training.threads: auto`: the choice is one of the candidates, measured, and set.
@Suite(.serialized) struct BLASThreadsTests {
    private let architecture = MLPArchitecture(inputCount: 3, hidden: [32], outputCount: 64, activation: .relu)

    /// The cores OpenBLAS may use here (2 on the CI machine).
    private let cores = min(2, ProcessInfo.processInfo.activeProcessorCount)

    @Test func theCandidatesAreOnePowersOfTwoAndEveryCore() {
        #expect(BLASThreads.autoCandidates(cores: 1) == [1])
        #expect(BLASThreads.autoCandidates(cores: 2) == [1, 2])
        #expect(BLASThreads.autoCandidates(cores: 6) == [1, 2, 4, 6])
        #expect(BLASThreads.autoCandidates(cores: 16) == [1, 2, 4, 8, 16])
        #expect(BLASThreads.availableCores >= 1)
        #expect(BLASThreads.availableCores <= ProcessInfo.processInfo.activeProcessorCount)
    }

    @Test func oneCandidateIsSetWithoutMeasuring() throws {
        defer { BLASThreads.set(1) }
        let choice = try BLASThreads.choose(architecture: architecture, batchSize: 4, candidates: [cores, cores])
        #expect(choice.threads == cores)
        #expect(choice.rates.isEmpty)
        #expect(BLASThreads.count == cores)
    }

    @Test(.enabled(if: ProcessInfo.processInfo.activeProcessorCount >= 2, "needs 2 cores"))
    func theChoiceIsTheFasterMeasuredCandidateAndIsSet() throws {
        defer { BLASThreads.set(1) }
        let choice = try BLASThreads.choose(
            architecture: architecture, batchSize: 4, candidates: [2, 1], seconds: 0.05)
        #expect(choice.rates.map(\.threads) == [1, 2])
        #expect(choice.rates.allSatisfy { $0.samplesPerSecond > 0 && $0.samplesPerSecond.isFinite })
        #expect([1, 2].contains(choice.threads))
        #expect(BLASThreads.count == choice.threads)
        // A larger count is kept only when it is at least 3 % faster than the smaller one.
        let one = choice.rates[0].samplesPerSecond
        let two = choice.rates[1].samplesPerSecond
        #expect(choice.threads == (two > one * 1.03 ? 2 : 1))
        #expect(choice.summary.hasPrefix("\(choice.threads) thread"))
    }
}
