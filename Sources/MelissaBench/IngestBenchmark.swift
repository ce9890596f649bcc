import ArgumentParser
import Buffers
import Foundation
import Ingest
import MelissaClient
import Training
import Transport
import WireProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// `melissa-bench ingest`: the server ingest's receive throughput beside a bare libzmq PUSH/PULL loop.
struct IngestBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Ingest receive throughput (GB/s, samples/s) from 1, 4 and 16 senders, beside bare ZeroMQ PUSH/PULL.",
        discussion: """
            Each sender is a thread with its own socket over tcp://127.0.0.1. The ingest path is the real one: \
            registration, a 56-byte header frame plus the payload per time step, validation, assembly into a float32 \
            sample and hand-off to a sink. The baseline, measured in the same run, sends the same payloads from the \
            same number of threads to one PULL socket and only receives them (zero-copy); as in the ingest run, the \
            senders and the receiver have a ZeroMQ context (an I/O thread) each. Goal: ratio ≥ 0.95 (ratio = ingest \
            throughput / raw throughput). `copied`: the same ingest with every payload copied into the sample's own \
            storage instead of keeping a whole-step frame. Then, in a fresh process, the memory each buffered \
            1000×1000 sample holds against its payload (--buffered; 0 skips it).
            """
    )

    @Option(help: "Messages per run with 100×100 float32 fields (40 KB).")
    var smallMessages = 2000

    @Option(help: "Messages per run with 1000×1000 float32 fields (4 MB).")
    var largeMessages = 100

    @Option(help: "Repetitions (raw, ingest and copied alternate); medians are reported.")
    var repetitions = 9

    @Option(help: "Buffered 1000×1000 samples for the memory rows (0: skip them).")
    var buffered = 200

    @Flag(help: .hidden)
    var memoryOnly = false

    func run() throws {
        if memoryOnly { return try memoryRows() }
        print(
            "ingest receive throughput over tcp://127.0.0.1 (median of \(repetitions) alternating runs of raw, "
                + "ingest and copied; ratio = ingest / raw throughput, copied = the same with frames copied)"
        )
        print(
            pad("field", 10) + pad("senders", 8) + pad("messages", 9) + pad("raw zmq", 12) + pad("ingest", 12)
                + pad("samples/s", 12) + pad("ratio", 7) + "copied")
        for (label, elements, messages) in [
            ("100x100", 10_000, smallMessages), ("1000x1000", 1_000_000, largeMessages),
        ] {
            for senders in [1, 4, 16] {
                let perSender = max(messages / senders, 1)
                let total = perSender * senders
                let bytes = Double(total * elements * 4)
                // Raw and ingest alternate, so both see the same machine load; the ratio is the median of the pairs'.
                // "copied": the ingest with every payload copied into the sample's own storage (no frame kept).
                var pairs: [(raw: Double, ingest: Double, copied: Double)] = []
                for _ in 0..<max(repetitions, 1) {
                    let raw = try rawPushPull(elements: elements, senders: senders, perSender: perSender)
                    let ingest = try ingestRun(elements: elements, senders: senders, perSender: perSender)
                    let copied = try ingestRun(
                        elements: elements, senders: senders, perSender: perSender, keepsWholeFrames: false)
                    pairs.append((raw, ingest, copied))
                }
                let raw = median(pairs.map(\.raw))
                let ingest = median(pairs.map(\.ingest))
                let ratio = median(pairs.map { $0.raw / $0.ingest })
                let copied = median(pairs.map { $0.raw / $0.copied })
                print(
                    pad(label, 10) + pad("\(senders)", 8) + pad("\(total)", 9)
                        + pad(String(format: "%.2f GB/s", bytes / raw / 1e9), 12)
                        + pad(String(format: "%.2f GB/s", bytes / ingest / 1e9), 12)
                        + pad(String(format: "%.0f", Double(total) / ingest), 12)
                        + pad(String(format: "%.2f", ratio), 7) + String(format: "%.2f", copied))
            }
        }
        if buffered > 0 { try memoryRowsInAFreshProcess() }
    }

    /// The memory rows in a process of their own, so that malloc's state after the throughput runs (freed memory it
    /// keeps, its moving mmap threshold) weighs on neither the figures nor those runs.
    private func memoryRowsInAFreshProcess() throws {
        fflush(nil)  // the child writes to the same output, after what this process printed
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        process.arguments = ["ingest", "--memory-only", "--buffered", "\(buffered)"]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ValidationError("the memory rows' process exited \(process.terminationStatus)")
        }
    }

    /// Memory per buffered sample: `buffered` 1000×1000 float32 samples received through the real ingest into a
    /// training buffer (as the server's sink does: input, field, origin), then released. malloc is told to map every
    /// allocation of 128 KiB or more on its own (`mallopt(M_MMAP_THRESHOLD)`, which also stops glibc's moving
    /// threshold), so freeing a sample unmaps its memory at once: the resident set's drop on release, per sample, is
    /// what each held, and its growth while receiving (after a warm-up run), per sample, what receiving cost; both
    /// against the
    /// 4,000,000-byte payload. Once as whole-step frames (kept as the samples' storage), once in 4 chunks a step
    /// (assembled into storage of the sample's own).
    private func memoryRows() throws {
        let elements = 1_000_000
        let payload = elements * MemoryLayout<Float>.stride
        let fixed = setMmapThreshold(128 * 1024)
        print(
            "\nmemory per buffered sample, \(buffered) samples of 1000x1000 float32 (payload \(payload) bytes); "
                + "header of an owned sample's storage: \(FloatValues.headerBytes) bytes"
                + (fixed ? "" : " (mallopt unavailable: figures include malloc's reuse)"))
        // A first run pays what any run costs once (libzmq's context and threads, malloc's arenas, stacks), so the
        // rows' growth is the samples'.
        _ = try ingestRun(elements: elements, senders: 1, perSender: 4)
        _ = try ingestRun(elements: elements, senders: 1, perSender: 4, chunks: 4)
        print(
            pad("path", 22) + pad("held/sample", 14) + pad("over payload", 14) + pad("RSS growth", 14) + "over payload")
        for (label, chunks) in [("whole frame (kept)", 1), ("4 chunks (assembled)", 4)] {
            let rssBefore = residentBytes()
            var held: TrainingBuffer<TrainingSample>? = TrainingBuffer(
                policy: .fifo, capacity: buffered, watermark: buffered, seed: 1)
            let sink = BufferingSink(buffer: held.unsafelyUnwrapped, target: buffered)
            _ = try ingestRun(
                elements: elements, senders: 1, perSender: buffered, chunks: chunks, sink: sink, waitFor: sink.wait)
            let rssFull = residentBytes()
            held = nil
            sink.release()
            let rssAfter = residentBytes()
            let heldPerSample = Double(rssFull - rssAfter) / Double(buffered)
            let growthPerSample = Double(rssFull - rssBefore) / Double(buffered)
            print(
                pad(label, 22) + pad(String(format: "%.0f B", heldPerSample), 14)
                    + pad(String(format: "%+.0f B", heldPerSample - Double(payload)), 14)
                    + pad(String(format: "%.0f B", growthPerSample), 14)
                    + String(format: "%+.0f B", growthPerSample - Double(payload)))
        }
    }

    /// `mallopt(M_MMAP_THRESHOLD, bytes)` (looked up at run time: Swift's Glibc module leaves malloc.h out); false
    /// when it is not there.
    private func setMmapThreshold(_ bytes: Int32) -> Bool {
        #if canImport(Glibc)
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return false }
            typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
            let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
            return mallopt(-3, bytes) == 1  // M_MMAP_THRESHOLD
        #else
            return false
        #endif
    }

    /// The resident set, from /proc/self/statm.
    private func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.padding(toLength: width, withPad: " ", startingAt: 0)
    }

    private func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }

    /// Starts `senders` threads that wait for `go`, then run `body(index)`; returns when all have started.
    private func startSenders(
        _ senders: Int, go: DispatchSemaphore, finished: DispatchGroup,
        _ body: @escaping @Sendable (Int) -> Void
    ) {
        let ready = DispatchSemaphore(value: 0)
        for index in 0..<senders {
            finished.enter()
            Thread {
                ready.signal()
                go.wait()
                body(index)
                finished.leave()
            }.start()
        }
        for _ in 0..<senders { ready.wait() }
    }

    /// Seconds for `senders × perSender` messages of `elements` float32 through bare PUSH/PULL.
    private func rawPushPull(elements: Int, senders: Int, perSender: Int) throws -> Double {
        // Two contexts, as in the ingest run (and in a real deployment): the senders' I/O thread and the receiver's.
        let context = try ZMQContext()
        let senderContext = try ZMQContext()
        let pull = try Socket(context: context, type: .pull)
        try pull.setOption(.linger, 0)
        try pull.bind("tcp://127.0.0.1:*")
        let endpoint = try pull.lastEndpoint
        let pushes = try (0..<senders).map { _ in
            let push = try Socket(context: senderContext, type: .push)
            try push.connect(endpoint)
            return push
        }
        let payload = [Float](repeating: 1.5, count: elements)
        let go = DispatchSemaphore(value: 0)
        let finished = DispatchGroup()
        startSenders(senders, go: go, finished: finished) { index in
            payload.withUnsafeBytes { bytes in
                for _ in 0..<perSender { _ = try? pushes[index].send(bytes) }
            }
        }
        let total = senders * perSender
        let received = DispatchSemaphore(value: 0)
        let receiver = Thread {
            let message = Message()
            var checksum: UInt8 = 0
            for _ in 0..<total {
                guard (try? pull.receive(into: message)) == true else { break }
                checksum &+= message.withUnsafeBytes { $0.last ?? 0 }
            }
            blackHole(checksum)
            received.signal()
        }
        receiver.start()
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<senders { go.signal() }
        received.wait()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        finished.wait()
        for push in pushes { push.close() }
        pull.close()
        return seconds
    }

    /// Seconds for the same volume through registration, data + header frames, the ingest and a sink (a counting
    /// one unless given, with the wait for its samples); each step in `chunks` chunks.
    private func ingestRun(
        elements: Int, senders: Int, perSender: Int, keepsWholeFrames: Bool = true, chunks: Int = 1,
        sink given: (any SampleSink)? = nil, waitFor givenWait: ((Double) -> Bool)? = nil
    ) throws -> Double {
        let token = Array(String(repeating: "5a", count: 32).utf8)
        let fields = [FieldDeclaration(name: "temperature", size: UInt64(elements))]
        var configuration = IngestConfiguration(
            token: token, simulationIDs: Set(0..<UInt32(senders)), fields: fields, timeSteps: UInt32(perSender))
        configuration.keepsWholeFrames = keepsWholeFrames
        let counting = CountingSink(target: senders * perSender)
        let sink = given ?? counting
        let wait = givenWait ?? counting.wait
        let server = try IngestServer(configuration: configuration, sinks: [sink])
        let address = try server.start()
        defer { server.stop() }
        let context = try ZMQContext()
        let clients = try (0..<senders).map { index in
            let identity = SimulationIdentity(
                simulationID: UInt32(index), timeSteps: UInt32(perSender), fields: fields)
            let registration = try StreamingClient.register(
                context: context, endpoint: address.registration, token: token, identity: identity)
            return try StreamingClient(context: context, identity: identity, registration: registration)
        }
        let payload = [Float](repeating: 1.5, count: elements)
        let go = DispatchSemaphore(value: 0)
        let finished = DispatchGroup()
        let shared = UncheckedBox(clients)
        startSenders(senders, go: go, finished: finished) { index in
            let client = shared.value[index]
            payload.withUnsafeBufferPointer { values in
                let size = values.count / chunks
                for step in 0..<UInt32(perSender) {
                    for chunk in 0..<chunks {
                        let end = chunk == chunks - 1 ? values.count : (chunk + 1) * size
                        try? client.send(
                            timeStep: step, field: 0,
                            values: UnsafeBufferPointer(rebasing: values[(chunk * size)..<end]),
                            offset: UInt64(chunk * size))
                    }
                }
            }
            try? client.finish()
        }
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<senders { go.signal() }
        guard wait(600) else { throw ValidationError("the ingest did not receive every sample") }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        finished.wait()
        for client in clients { client.close() }
        return seconds
    }
}
