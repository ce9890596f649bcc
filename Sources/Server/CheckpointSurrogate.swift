import Foundation
import Training

/// The surrogate a running study's latest checkpoint holds, for a report written before the model is exported.
public enum CheckpointSurrogate {
    /// The network and normalisation of the study's checkpoint (`checkpoint.melissa`, or rank 0's of a multi-rank
    /// server), with `parameterNames`; nil when there is no checkpoint yet, or it is the PyTorch trainer's. Throws when one exists but cannot be read.
    public static func read(studyDirectory: URL, parameterNames: [String]) throws -> (Surrogate, batches: Int)? {
        let candidates = ["checkpoint.melissa", "checkpoint-rank0.melissa"].map {
            studyDirectory.appendingPathComponent($0)
        }
        guard let url = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) else {
            return nil
        }
        let checkpoint = try ServerCheckpoint.read(from: url)
        // A PyTorch trainer's checkpoint holds its module's state, not a network this code can run.
        guard checkpoint.backendState == nil else { return nil }
        let state = checkpoint.trainer
        let surrogate = Surrogate(
            architecture: state.configuration.architecture, parameters: state.parameters,
            normalizer: state.normalizer, parameterNames: parameterNames)
        return (surrogate, checkpoint.batches)
    }
}
