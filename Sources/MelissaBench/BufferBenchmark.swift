import ArgumentParser
import Buffers
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `melissa-bench buffers`: put+get operations per second on sample handles, for each policy.
struct BufferBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "buffers",
        abstract: "Put+get pairs per second for FIFO, FIRO and reservoir, alone and with two threads.",
        discussion: """
            Baseline, measured in the same run: the same number of push/pop pairs on an array guarded by a bare \
            pthread mutex (the least a thread-safe buffer can cost). Goal: at least 5 million pairs per second.
            """
    )

    @Option(help: "Put+get pairs per measurement.")
    var operations = 2_000_000

    @Option(help: "Repetitions; the median is reported.")
    var repetitions = 5

    func run() throws {
        let baseline = median { mutexBaseline() }
        print("buffer put+get pairs per second (\(operations) pairs, median of \(repetitions); capacity 6000)")
        print(row("policy", "1 thread", "2 threads", "ratio to mutex baseline (1 thread)"))
        print(row("mutex+array", rate(baseline), "", "1.00"))
        for policy in BufferPolicy.allCases {
            let single = median { singleThread(policy) }
            let contended = median { twoThreads(policy) }
            let ratio = String(format: "%.2f", baseline / single)
            print(row(policy.rawValue, rate(single), rate(contended), ratio))
        }
    }

    private func row(_ columns: String...) -> String {
        columns.enumerated().map { $0 == 3 ? $1 : $1.padding(toLength: 14, withPad: " ", startingAt: 0) }
            .joined(separator: " ")
    }

    private func rate(_ seconds: Double) -> String {
        String(format: "%.2f M/s", Double(operations) / seconds / 1e6)
    }

    private func median(_ measure: () -> Double) -> Double {
        let times = (0..<repetitions).map { _ in measure() }.sorted()
        return times[times.count / 2]
    }

    private func time(_ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// Alternating puts and gets on one thread, above the watermark.
    private func singleThread(_ policy: BufferPolicy) -> Double {
        let buffer = makeSampleBuffer(policy: policy, capacity: 6000, watermark: 1000, seed: 1, of: Int.self)
        for value in 0..<3000 { buffer.put(value) }
        let count = operations
        return time {
            var sink = 0
            for value in 0..<count {
                buffer.put(value)
                sink &+= buffer.get() ?? 0
            }
            blackHole(sink)
        }
    }

    /// One thread puts, another gets (in batches of 10, as the trainer does).
    private func twoThreads(_ policy: BufferPolicy) -> Double {
        let buffer = makeSampleBuffer(policy: policy, capacity: 6000, watermark: 1000, seed: 1, of: Int.self)
        let count = operations
        let done = DispatchSemaphore(value: 0)
        return time {
            let producer = Thread {
                for value in 0..<count { buffer.put(value) }
                buffer.finishReception()
                done.signal()
            }
            let consumer = Thread {
                // Read until the drain ends: a reservoir re-reads, so it makes more reads than there were puts.
                var batch: [Int] = []
                while buffer.getBatch(10, into: &batch) {}
                done.signal()
            }
            producer.start()
            consumer.start()
            done.wait()
            done.wait()
        }
    }

    /// The same pairs on an array guarded by a bare mutex.
    private func mutexBaseline() -> Double {
        var mutex = pthread_mutex_t()
        pthread_mutex_init(&mutex, nil)
        defer { pthread_mutex_destroy(&mutex) }
        var storage = [Int]()
        storage.reserveCapacity(6000)
        storage.append(contentsOf: 0..<3000)
        let count = operations
        return time {
            var sink = 0
            for value in 0..<count {
                pthread_mutex_lock(&mutex)
                storage.append(value)
                pthread_mutex_unlock(&mutex)
                pthread_mutex_lock(&mutex)
                sink &+= storage.removeLast()
                pthread_mutex_unlock(&mutex)
            }
            blackHole(sink)
        }
    }
}

@inline(never)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}
