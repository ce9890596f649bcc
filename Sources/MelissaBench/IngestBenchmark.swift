import ArgumentParser
import Foundation
import Ingest
import MelissaClient
import Transport
import WireProtocol

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
            senders and the receiver have a ZeroMQ context (an I/O thread) each. Goal: ratio ≥ 0.9 (ratio = ingest \
            throughput / raw throughput).
            """
    )

    @Option(help: "Messages per run with 100×100 float32 fields (40 KB).")
    var smallMessages = 2000

    @Option(help: "Messages per run with 1000×1000 float32 fields (4 MB).")
    var largeMessages = 100

    @Option(help: "Repetitions (raw and ingest alternate); medians are reported.")
    var repetitions = 5

    func run() throws {
        print(
            "ingest receive throughput over tcp://127.0.0.1 (median of \(repetitions) alternating pairs; ratio = ingest / raw throughput)"
        )
        print(
            pad("field", 10) + pad("senders", 8) + pad("messages", 9) + pad("raw zmq", 12) + pad("ingest", 12)
                + pad("samples/s", 12) + "ratio")
        for (label, elements, messages) in [
            ("100x100", 10_000, smallMessages), ("1000x1000", 1_000_000, largeMessages),
        ] {
            for senders in [1, 4, 16] {
                let perSender = max(messages / senders, 1)
                let total = perSender * senders
                let bytes = Double(total * elements * 4)
                // Raw and ingest alternate, so both see the same machine load; the ratio is the median of the pairs'.
                var pairs: [(raw: Double, ingest: Double)] = []
                for _ in 0..<max(repetitions, 1) {
                    let raw = try rawPushPull(elements: elements, senders: senders, perSender: perSender)
                    let ingest = try ingestRun(elements: elements, senders: senders, perSender: perSender)
                    pairs.append((raw, ingest))
                }
                let raw = median(pairs.map(\.raw))
                let ingest = median(pairs.map(\.ingest))
                let ratio = median(pairs.map { $0.raw / $0.ingest })
                print(
                    pad(label, 10) + pad("\(senders)", 8) + pad("\(total)", 9)
                        + pad(String(format: "%.2f GB/s", bytes / raw / 1e9), 12)
                        + pad(String(format: "%.2f GB/s", bytes / ingest / 1e9), 12)
                        + pad(String(format: "%.0f", Double(total) / ingest), 12)
                        + String(format: "%.2f", ratio))
            }
        }
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

    /// Seconds for the same volume through registration, data + header frames, the ingest and a sink.
    private func ingestRun(elements: Int, senders: Int, perSender: Int) throws -> Double {
        let token = Array(String(repeating: "5a", count: 32).utf8)
        let fields = [FieldDeclaration(name: "temperature", size: UInt64(elements))]
        let configuration = IngestConfiguration(
            token: token, simulationIDs: Set(0..<UInt32(senders)), fields: fields, timeSteps: UInt32(perSender))
        let sink = CountingSink(target: senders * perSender)
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
                for step in 0..<UInt32(perSender) { try? client.send(timeStep: step, field: 0, values: values) }
            }
            try? client.finish()
        }
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<senders { go.signal() }
        guard sink.wait(seconds: 600) else { throw ValidationError("the ingest did not receive every sample") }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        finished.wait()
        for client in clients { client.close() }
        return seconds
    }
}
