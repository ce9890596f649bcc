import StudySpec
import Training

extension ThreadCount {
    /// Sets OpenBLAS's threads for this rank as `training.threads` says, and returns the line the server logs.
    /// `auto` times the study's network at its batch size with 1 thread, the powers of two below the cores this process
    /// may use and all of them (``BLASThreads/choose(architecture:batchSize:candidates:seconds:)``, about 0.6 s) and
    /// keeps the fastest.
    func apply(architecture: MLPArchitecture, batchSize: Int) throws -> String {
        switch self {
        case .fixed(let count):
            BLASThreads.set(count)
            return "training.threads \(count)"
        case .auto:
            let choice = try BLASThreads.choose(
                architecture: architecture, batchSize: batchSize, candidates: BLASThreads.autoCandidates())
            return "training.threads auto: \(choice.summary)"
        }
    }
}
