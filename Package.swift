// swift-tools-version: 6.0
import PackageDescription

// Layers, each importing only those below it (Randomness, the seedable generator, sits under those that draw):
//   StudySpec (study file model, YAML parsing, validation)
//   Sampling  (samplers and distributions; knows nothing of YAML)
//   PlanModel (the plan as data: plan.json, the study directory's files, the redraw table; no Mustache)
//   Planning  (the planner, rendering of scripts, redraws)
//   Launching (scheduler adapters, neutral job states, the study's journal)
//   MelissaCLI (the `melissa` command)
// Beside them, for the training server: Buffers (FIFO, FIRO and reservoir training buffers, on Randomness),
// Training (the MLP trainer on OpenBLAS and Randomness, free of MPI and of the study file) and Distributed (data
// parallelism over MPI, on Training), over the system libraries COpenBLAS and CMPI; Reporting (SVG charts for
// reports and docs). Server sits on all of them, on Ingest and on Planning/StudySpec: it maps the study to the
// trainer's configuration and runs the one training loop for 1 and N ranks.
// Test helpers built as executables but shipped in no product live under Tests/ (MelissaTrainCheck).
// The data plane: CZeroMQ (libzmq) -> Transport (typed sockets); WireProtocol (pure Swift, docs/protocol.md);
//   Ingest (the server's registration and data receivers) and MelissaClient (the Swift streaming client) on both;
//   Ingest also on Training, whose FloatValues is a sample's storage from the socket to the trainer.
let package = Package(
    name: "melissa",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "melissa", targets: ["MelissaCLI"]),
        .executable(name: "melissa-bench", targets: ["MelissaBench"]),
        .library(name: "StudySpec", targets: ["StudySpec"]),
        .library(name: "Sampling", targets: ["Sampling"]),
        .library(name: "Randomness", targets: ["Randomness"]),
        .library(name: "PlanModel", targets: ["PlanModel"]),
        .library(name: "Planning", targets: ["Planning"]),
        .library(name: "Launching", targets: ["Launching"]),
        .library(name: "Buffers", targets: ["Buffers"]),
        .library(name: "Reporting", targets: ["Reporting"]),
        .library(name: "StudyReport", targets: ["StudyReport"]),
        .library(name: "Server", targets: ["Server"]),
        .library(name: "Training", targets: ["Training"]),
        .library(name: "Distributed", targets: ["Distributed"]),
        .library(name: "Transport", targets: ["Transport"]),
        .library(name: "WireProtocol", targets: ["WireProtocol"]),
        .library(name: "Ingest", targets: ["Ingest"]),
        .library(name: "MelissaClient", targets: ["MelissaClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        .target(
            name: "StudySpec",
            dependencies: [.product(name: "Yams", package: "Yams")]
        ),
        .target(name: "Randomness"),
        .target(name: "Sampling", dependencies: ["Randomness"]),
        .target(name: "Reporting"),
        .target(
            name: "Buffers",
            dependencies: ["Randomness"],
            // The buffers sit on the ingest and training hot paths: let their generics specialise in client modules.
            swiftSettings: [.unsafeFlags(["-cross-module-optimization"])]
        ),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
        .target(
            name: "Training",
            dependencies: ["COpenBLAS", "Randomness"],
            // Float.squareRoot() inlines C's __builtin_sqrtf; without errno semantics it becomes a vector sqrtps and
            // the fused Adam loop vectorises (about 3× faster).
            swiftSettings: [.unsafeFlags(["-Xcc", "-fno-math-errno"])]
        ),
        .target(name: "Distributed", dependencies: ["CMPI", "Training"]),
        // libzmq without pkg-config: its .pc file carries a flag SwiftPM refuses.
        .systemLibrary(name: "CZeroMQ"),
        .target(name: "Transport", dependencies: ["CZeroMQ"]),
        .target(name: "WireProtocol"),
        .target(
            name: "Ingest",
            dependencies: ["Transport", "WireProtocol", "Training"],
            swiftSettings: [.unsafeFlags(["-cross-module-optimization"])]
        ),
        .target(name: "MelissaClient", dependencies: ["Transport", "WireProtocol"]),
        .target(
            name: "Server",
            dependencies: [
                "Ingest", "Buffers", "Training", "Distributed", "PlanModel", "Sampling", "StudySpec", "Reporting",
                "WireProtocol", "Randomness",
            ]
        ),
        .target(name: "PlanModel", dependencies: ["StudySpec", "Sampling"]),
        .target(
            name: "Planning",
            dependencies: [
                "PlanModel",
                "StudySpec",
                "Sampling",
                "Randomness",
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            resources: [.copy("Templates")]
        ),
        .target(name: "CLaunchingShims"),
        .target(
            name: "Launching",
            dependencies: [
                "PlanModel", "Planning", "StudySpec", "Sampling", "CLaunchingShims", "Transport", "WireProtocol",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // A stand-in training server and simulation for the launcher's tests (`MelissaLaunchStandIn`, no product).
        .executableTarget(
            name: "MelissaLaunchStandIn",
            dependencies: ["Ingest", "MelissaClient", "Transport", "WireProtocol", "PlanModel", "Launching"],
            path: "Tests/MelissaLaunchStandIn"
        ),
        // A study's report page (report/index.html): plan, journal, metrics and model, read without changing them.
        .target(
            name: "StudyReport",
            dependencies: [
                "Reporting", "PlanModel", "Planning", "Launching", "Server", "Training", "Sampling", "StudySpec",
            ]
        ),
        // Data-parallel training on synthetic data under `mpirun`, for the 2-rank test (`MelissaTrainCheck`).
        .executableTarget(
            name: "MelissaTrainCheck",
            dependencies: ["Distributed", "Training", "Buffers"],
            path: "Tests/MelissaTrainCheck"
        ),
        .executableTarget(
            name: "MelissaCLI",
            dependencies: [
                "StudyReport",
                "StudySpec",
                "Sampling",
                "PlanModel",
                "Planning",
                "Launching",
                "Training",
                "Server",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "MelissaBench",
            dependencies: [
                "Buffers",
                "Launching",
                "Transport",
                "Ingest",
                "MelissaClient",
                "WireProtocol",
                "Reporting",
                "StudySpec",
                "Sampling",
                "PlanModel",
                "Planning",
                "Training",
                "COpenBLAS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // What the tests share: the host tools they need (traits `.requiresSlurm`, `.requiresMPI`, …), the build's
        // products, a process runner with a watchdog.
        .target(name: "MelissaTestSupport", path: "Tests/MelissaTestSupport"),
        .testTarget(name: "StudySpecTests", dependencies: ["StudySpec"], resources: [.copy("Fixtures")]),
        .testTarget(name: "SamplingTests", dependencies: ["Sampling"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "PlanningTests",
            dependencies: ["MelissaTestSupport", "PlanModel", "Planning", "StudySpec", "Sampling"],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "LaunchingTests",
            dependencies: [
                "MelissaTestSupport",
                "Launching", "PlanModel", "Planning", "StudySpec", "Ingest", "Transport", "WireProtocol",
                "MelissaLaunchStandIn",
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "MelissaCLITests",
            dependencies: [
                "MelissaTestSupport",
                "MelissaCLI", "Training", "Launching", "PlanModel", "Planning", "Server", "MelissaLaunchStandIn",
            ]),
        .testTarget(name: "BuffersTests", dependencies: ["Buffers"]),
        .testTarget(name: "ReportingTests", dependencies: ["MelissaTestSupport", "Reporting"]),
        .testTarget(name: "TrainingTests", dependencies: ["MelissaTestSupport", "Training", "Randomness"]),
        .testTarget(
            name: "DistributedTests",
            dependencies: ["MelissaTestSupport", "Distributed", "Training", "MelissaTrainCheck"]),
        .testTarget(name: "TransportTests", dependencies: ["Transport"]),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "MelissaTestSupport",
                "Server", "Buffers", "Ingest", "Launching", "MelissaClient", "PlanModel", "Planning", "Sampling",
                "StudySpec",
                "Training", "Transport", "WireProtocol", "Randomness",
            ]
        ),
        .testTarget(name: "WireProtocolTests", dependencies: ["WireProtocol"]),
        .testTarget(
            name: "IngestTests",
            dependencies: ["MelissaTestSupport", "Ingest", "MelissaClient", "Transport", "WireProtocol", "Training"]),
    ],
    swiftLanguageModes: [.v6]
)
