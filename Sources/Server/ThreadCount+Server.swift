import Foundation
import StudySpec
import Training

extension ThreadCount {
    /// Sets OpenBLAS's threads for this rank as `training.threads` says, and returns the line the server logs.
    /// `auto` times the study's network at its batch size with 1 and with every core this process may use
    /// (``BLASThreads/choose(architecture:batchSize:candidates:seconds:)``, about 0.6 s) and keeps the faster.
    func apply(architecture: MLPArchitecture, batchSize: Int) throws -> String {
        switch self {
        case .fixed(let count):
            BLASThreads.set(count)
            return "training.threads \(count)"
        case .auto:
            let cores = ProcessInfo.processInfo.activeProcessorCount
            let choice = try BLASThreads.choose(
                architecture: architecture, batchSize: batchSize, candidates: [1, cores])
            return "training.threads auto: \(choice.summary)"
        }
    }
}
