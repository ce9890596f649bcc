import Foundation
import Testing
import Training

@Suite struct SurrogateFileTests {
    @Test func aModelFileRoundTripsAndPredictsLikeTheTrainer() throws {
        let configuration = TrainingBehaviourTests.smoothConfiguration()
        let trainer = try Trainer(configuration: configuration)
        let samples = TestData.smoothSamples(count: 480, seed: 3)
        for start in stride(from: 0, to: samples.count, by: 16) { try trainer.step(samples[start..<(start + 16)]) }
        let surrogate = trainer.surrogate(parameterNames: ["a", "b", "c"])

        let url = FileManager.default.temporaryDirectory.appendingPathComponent("melissa-model-\(UUID()).mlsmodel")
        defer { try? FileManager.default.removeItem(at: url) }
        try surrogate.write(to: url, metadata: ["steps": "\(trainer.stepCount)"])
        let read = try Surrogate(contentsOf: url)
        #expect(read == surrogate)

        for sample in samples.prefix(5) {
            let expected = try trainer.predict(input: sample.input)
            let predicted = try read.predict(parameters: Array(sample.input.prefix(3)), timeStep: sample.input[3])
            #expect(predicted.count == 8)
            for (p, e) in zip(predicted, expected) { #expect(abs(p - e) <= 1e-4 * max(abs(e), 1)) }
        }
        #expect(throws: TrainingError.self) { try read.predict(parameters: [1, 2], timeStep: 0) }
    }

    @Test func theLayoutIsTheDocumentedOne() throws {
        let surrogate = Surrogate(
            architecture: MLPArchitecture(inputCount: 2, hidden: [], outputCount: 1, activation: .relu),
            parameters: [1, 2, 0.5], inputMean: [0, 0], inputStd: [1, 1], outputMean: [10], outputStd: [2])
        let data = try SurrogateFile.encode(surrogate)
        let bytes = [UInt8](data)
        #expect(Array(bytes[0..<8]) == Array("MLSMODEL".utf8))
        let headerLength = Int(bytes[8..<16].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        #expect(headerLength % 8 == 0)
        let header = try #require(
            try JSONSerialization.jsonObject(with: Data(bytes[16..<(16 + headerLength)])) as? [String: Any])
        #expect(header["format"] as? String == "melissa-surrogate")
        #expect(header["version"] as? Int == 1)
        // parameters (3) + input mean (2) + input std (2) + output mean (1) + output std (1), float32 each.
        #expect(bytes.count == 16 + headerLength + 9 * 4)
        // The first parameter, 1.0, little-endian.
        #expect(Array(bytes[(16 + headerLength)..<(20 + headerLength)]) == [0x00, 0x00, 0x80, 0x3F])
        // y = (1·x0 + 2·x1 + 0.5)·2 + 10
        #expect(try surrogate.predict(parameters: [1], timeStep: 1) == [17])
    }

    @Test func damagedFilesAreRefusedWithAReason() throws {
        #expect(throws: TrainingError.self) { try SurrogateFile.decode(Data("not a model".utf8)) }
        let surrogate = Surrogate(
            architecture: MLPArchitecture(inputCount: 2, hidden: [3], outputCount: 1, activation: .tanh),
            parameters: [Float](repeating: 0.5, count: 13), inputMean: [0, 0], inputStd: [1, 1], outputMean: [0],
            outputStd: [1])
        let data = try SurrogateFile.encode(surrogate)
        #expect(throws: TrainingError.self) { try SurrogateFile.decode(data.prefix(data.count - 4)) }
        #expect(try SurrogateFile.decode(data) == surrogate)
    }
}
