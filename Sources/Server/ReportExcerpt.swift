import Foundation
import Training

/// What the report page shows that only the server holds: a few held-out samples (their inputs and true fields) and
/// how often the buffer's samples were read. `report/excerpt.melissa` in the study directory, written by rank 0
/// atomically (the checkpoint format: a JSON header and raw little-endian arrays); small (three simulations × three
/// time steps of the fields), and the only simulation data a study writes beside its checkpoints.
public struct ReportExcerpt: Sendable, Equatable {
    /// One held-out sample.
    public struct Sample: Sendable, Equatable, Codable {
        /// Its simulation.
        public var simulation: Int
        /// Its time step.
        public var step: Int
        /// The network's input (parameters, then the time step), as the trainer sees it before normalisation.
        public var input: [Float]
        /// The true output: every field's values, concatenated in the plan's order.
        public var truth: [Float]

        /// Creates a sample.
        public init(simulation: Int, step: Int, input: [Float], truth: [Float]) {
            self.simulation = simulation
            self.step = step
            self.input = input
            self.truth = truth
        }
    }

    /// The held-out samples kept: up to three simulations, three time steps each (first, middle, last received).
    public var samples: [Sample]
    /// How many buffered samples had been read n times, by n (the reservoir's repeats; FIFO and FIRO read once).
    public var readCounts: [Int: Int]
    /// Batches trained when it was written.
    public var batches: Int

    /// Creates an excerpt.
    public init(samples: [Sample], readCounts: [Int: Int], batches: Int) {
        self.samples = samples
        self.readCounts = readCounts
        self.batches = batches
    }

    /// The excerpt of `held` (the held-out samples by simulation): the three lowest simulation ids, and of each the
    /// first, middle and last time step held (the step is the input's last value).
    public static func choosing(
        from held: [UInt32: [TrainingSample]], readCounts: [Int: Int] = [:], batches: Int
    ) -> ReportExcerpt {
        var samples: [Sample] = []
        for simulation in held.keys.sorted().prefix(3) {
            let ordered = (held[simulation] ?? []).sorted { ($0.input.last ?? 0) < ($1.input.last ?? 0) }
            guard !ordered.isEmpty else { continue }
            let picks = Set([0, ordered.count / 2, ordered.count - 1]).sorted()
            for index in picks {
                let sample = ordered[index]
                samples.append(
                    Sample(
                        simulation: Int(simulation), step: Int(sample.input.last ?? 0), input: sample.input,
                        truth: sample.output.array))
            }
        }
        return ReportExcerpt(samples: samples, readCounts: readCounts, batches: batches)
    }

    /// `report/excerpt.melissa` of a study directory.
    public static func url(inStudyDirectory directory: URL) -> URL {
        directory.appendingPathComponent("report/excerpt.melissa")
    }

    private struct Metadata: Codable {
        var samples: [SampleMetadata]
        var readCounts: [String: Int]
        var batches: Int
    }

    private struct SampleMetadata: Codable {
        var simulation: Int
        var step: Int
        var input: [Float]
    }

    /// Writes the excerpt atomically (a temporary file renamed over `url`), creating its directory.
    public func write(to url: URL) throws {
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        var archive = BinaryArchive()
        try archive.setMetadata(
            Metadata(
                samples: samples.map { SampleMetadata(simulation: $0.simulation, step: $0.step, input: $0.input) },
                readCounts: Dictionary(uniqueKeysWithValues: readCounts.map { (String($0.key), $0.value) }),
                batches: batches))
        for (index, sample) in samples.enumerated() { archive.add("truth-\(index)", floats: sample.truth) }
        try archive.write(to: url)
    }

    /// Reads an excerpt.
    public static func read(from url: URL) throws -> ReportExcerpt {
        let contents = try BinaryArchive.read(from: url)
        let metadata = try contents.metadata(Metadata.self)
        var samples: [Sample] = []
        for (index, sample) in metadata.samples.enumerated() {
            samples.append(
                Sample(
                    simulation: sample.simulation, step: sample.step, input: sample.input,
                    truth: try contents.floats("truth-\(index)")))
        }
        var readCounts: [Int: Int] = [:]
        for (key, value) in metadata.readCounts { if let times = Int(key) { readCounts[times] = value } }
        return ReportExcerpt(samples: samples, readCounts: readCounts, batches: metadata.batches)
    }
}
