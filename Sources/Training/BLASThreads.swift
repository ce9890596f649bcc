import COpenBLAS
import Dispatch
import Foundation

/// OpenBLAS's thread count (process-wide).
public enum BLASThreads {
    /// The threads OpenBLAS uses for each call.
    public static var count: Int { Int(openblas_get_num_threads()) }

    /// Sets the threads OpenBLAS uses (the study's `training.threads`).
    public static func set(_ threads: Int) {
        openblas_set_num_threads(Int32(max(1, threads)))
    }

    /// The cores this process may run on: its CPU affinity (`Cpus_allowed` in /proc/self/status: what `taskset`,
    /// `mpirun --bind-to` or Slurm's task binding leave it), at most the online processors; those alone where the
    /// affinity cannot be read. (`ProcessInfo.activeProcessorCount` ignores the affinity.)
    public static var availableCores: Int {
        let online = ProcessInfo.processInfo.activeProcessorCount
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") })
        else { return online }
        let mask = line.dropFirst("Cpus_allowed:".count).filter { $0.isHexDigit }
        let allowed = mask.reduce(0) { $0 + ($1.hexDigitValue ?? 0).nonzeroBitCount }
        return allowed > 0 ? min(allowed, online) : online
    }

    /// The counts `training.threads: auto` chooses among: 1, the powers of two below the available cores, and all of
    /// them.
    public static func autoCandidates(cores: Int = availableCores) -> [Int] {
        var counts = [1]
        var next = 2
        while next < cores {
            counts.append(next)
            next *= 2
        }
        if cores > 1 { counts.append(cores) }
        return counts
    }

    /// What ``choose(architecture:batchSize:candidates:seconds:)`` measured and chose.
    public struct Choice: Sendable {
        /// The thread count chosen (and set).
        public var threads: Int
        /// Training samples per second measured with each candidate count, in the candidates' order.
        public var rates: [(threads: Int, samplesPerSecond: Double)]

        /// "2 threads (1: 1,071 samples/s, 2: 1,161 samples/s)".
        public var summary: String {
            let measured = rates.map { "\($0.threads): \(Int($0.samplesPerSecond.rounded())) samples/s" }
            return "\(threads) thread\(threads == 1 ? "" : "s") (\(measured.joined(separator: ", ")))"
        }
    }

    /// `training.threads: auto`: times full training steps of a throw-away trainer of `architecture` at `batchSize`
    /// on synthetic data with each of `candidates` thread counts, in alternating rounds (so a load that comes and goes
    /// weighs on every candidate alike), for about `seconds` in all; sets and returns the fastest by median. A larger
    /// count must be at least 3 % faster than a smaller one to be chosen (threads that buy nothing only cost cores).
    /// With one candidate, sets it without measuring.
    public static func choose(
        architecture: MLPArchitecture, batchSize: Int, candidates: [Int], seconds: Double = 0.6
    ) throws -> Choice {
        let counts = Array(Set(candidates.map { max(1, $0) })).sorted()
        guard counts.count > 1 else {
            let only = counts.first ?? 1
            set(only)
            return Choice(threads: only, rates: [])
        }
        let trainer = try Trainer(
            configuration: TrainerConfiguration(
                architecture: architecture, maxBatchSize: batchSize, seed: 1, normalizationWarmupSamples: 0))
        trainer.withStagingBuffers { inputs, outputs in
            for index in inputs.indices { inputs[index] = Float(index % 7) * 0.1 }
            for index in outputs.indices { outputs[index] = Float(index % 13) * 0.05 }
        }
        let communicator = LocalCommunicator()
        func time(_ steps: Int) throws -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<steps { _ = try trainer.step(staged: batchSize, communicator: communicator) }
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        // One warm-up step per count (OpenBLAS starts its threads, the workspace is touched), then the steps per
        // measurement from the single-thread step time: rounds × counts × steps ≈ `seconds`.
        var single = 0.0
        for count in counts {
            set(count)
            let warm = try time(1)
            if count == counts[0] { single = warm }
        }
        let rounds = 5
        let steps = max(1, min(1000, Int(seconds / Double(rounds * counts.count) / max(single, 1e-6))))
        var times = [[Double]](repeating: [], count: counts.count)
        for _ in 0..<rounds {
            for (index, count) in counts.enumerated() {
                set(count)
                times[index].append(try time(steps))
            }
        }
        let rates = counts.indices.map { index in
            let sorted = times[index].sorted()
            return (threads: counts[index], samplesPerSecond: Double(steps * batchSize) / sorted[sorted.count / 2])
        }
        var best = rates[0]
        for rate in rates.dropFirst() where rate.samplesPerSecond > best.samplesPerSecond * 1.03 { best = rate }
        set(best.threads)
        return Choice(threads: best.threads, rates: rates)
    }
}
