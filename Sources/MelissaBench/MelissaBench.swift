import ArgumentParser

/// `melissa-bench`: performance measurements, each printed as a ratio against a baseline
/// measured in the same run.
@main
struct MelissaBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "melissa-bench",
        abstract: "Benchmarks of melissa, each reported against a baseline measured in the same run.",
        subcommands: [
            SamplingBenchmark.self, PlanningBenchmark.self, BufferBenchmark.self, BufferTraceCommand.self,
            TrainingBenchmark.self, TorchBridgeBenchmark.self, StatusBenchmark.self, MonitoringBenchmark.self,
            IngestBenchmark.self,
        ]
    )
}
