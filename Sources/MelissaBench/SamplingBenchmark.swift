import ArgumentParser
import Foundation
import Sampling

/// `melissa-bench sampling`: points per second of each sampler beside scipy.stats.qmc's, measured in the same run.
struct SamplingBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sampling",
        abstract: "Points per second for 10^6 points in 5 dimensions, against scipy.stats.qmc."
    )

    @Option(help: "Points per draw.")
    var points = 1_000_000

    @Option(help: "Dimensions.")
    var dimension = 5

    @Option(help: "Runs per sampler; the median time is reported.")
    var runs = 5

    @Option(help: "Python interpreter with scipy.")
    var python = "python3"

    /// One row of the table: the melissa sampler and the scipy call it is compared with.
    private struct Case {
        var name: String
        var kind: SamplerKind
        var scipy: String
    }

    private var cases: [Case] {
        [
            Case(name: "monte-carlo", kind: .monteCarlo, scipy: "np.random.default_rng(1).random((n, d))"),
            Case(
                name: "latin-hypercube", kind: .latinHypercube(optimization: .none),
                scipy: "qmc.LatinHypercube(d, rng=1).random(n)"),
            Case(name: "halton", kind: .halton(scrambled: false), scipy: "qmc.Halton(d, scramble=False).random(n)"),
            Case(
                name: "halton (scrambled)", kind: .halton(scrambled: true),
                scipy: "qmc.Halton(d, scramble=True, rng=1).random(n)"),
            Case(name: "sobol", kind: .sobol(scramble: .none), scipy: "qmc.Sobol(d, scramble=False).random(n)"),
            Case(
                name: "sobol (linear matrix)", kind: .sobol(scramble: .linearMatrix),
                scipy: "qmc.Sobol(d, scramble=True, rng=1).random(n)"),
            Case(name: "sobol (owen)", kind: .sobol(scramble: .owen), scipy: ""),
        ]
    }

    func run() throws {
        print("Drawing \(points) points in \(dimension) dimensions, median of \(runs) runs.")
        let baseline = scipyRates()
        if baseline == nil { print("python3 with scipy is unavailable: melissa's numbers alone.") }
        let header = ["sampler", "melissa points/s", "scipy points/s", "ratio"]
        let widths = [24, 18, 16, 8]
        print(zip(header, widths).map { pad($0, $1) }.joined(separator: " "))
        for benchmarkCase in cases {
            let rate = try melissaRate(benchmarkCase.kind)
            let scipy = baseline?[benchmarkCase.name]
            let cells = [
                benchmarkCase.name, format(rate), scipy.map(format) ?? "-",
                scipy.map { String(format: "%.2fx", rate / $0) } ?? "-",
            ]
            print(zip(cells, widths).map { pad($0, $1) }.joined(separator: " "))
        }
    }

    private func melissaRate(_ kind: SamplerKind) throws -> Double {
        var times: [Double] = []
        var checksum = 0.0
        for run in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            var sampler = try UnitSampler(state: SamplerState(kind: kind, dimension: dimension, seed: UInt64(run)))
            let drawn = try sampler.draw(points)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
            checksum += drawn.values[drawn.values.count / 2]
        }
        precondition(checksum.isFinite)
        return Double(points) / median(times)
    }

    /// Runs the scipy side in one python process; nil when python or scipy is missing.
    private func scipyRates() -> [String: Double]? {
        let calls = cases.filter { !$0.scipy.isEmpty }.map { "    (\"\($0.name)\", lambda: \($0.scipy))," }
        let script = """
            import time, warnings
            import numpy as np
            from scipy.stats import qmc
            warnings.filterwarnings("ignore")
            n, d, runs = \(points), \(dimension), \(runs)
            cases = [
            \(calls.joined(separator: "\n"))
            ]
            for name, call in cases:
                times = []
                for _ in range(runs):
                    start = time.perf_counter()
                    call()
                    times.append(time.perf_counter() - start)
                print(name + "\\t" + repr(n / sorted(times)[len(times) // 2]))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, "-c", script]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        var rates: [String: Double] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: "\t")
            if fields.count == 2, let rate = Double(fields[1]) { rates[String(fields[0])] = rate }
        }
        return rates
    }

    private func median(_ values: [Double]) -> Double {
        values.sorted()[values.count / 2]
    }

    private func format(_ rate: Double) -> String {
        String(format: "%.3g", rate)
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
