// swift-tools-version: 6.0
import PackageDescription

// Layers, each importing only those below it:
//   StudySpec (study file model, YAML parsing, validation)
//   Sampling  (samplers and distributions; knows nothing of YAML)
//   Planning  (job graph, rendering of scripts)
//   Launching (scheduler adapters, neutral job states, the study's journal)
//   MelissaCLI (the `melissa` command)
// Beside them, for the training server: Buffers (FIFO, FIRO and reservoir training buffers) and Reporting
// (SVG charts for reports and docs).
let package = Package(
    name: "melissa",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "melissa", targets: ["MelissaCLI"]),
        .executable(name: "melissa-bench", targets: ["MelissaBench"]),
        .library(name: "StudySpec", targets: ["StudySpec"]),
        .library(name: "Sampling", targets: ["Sampling"]),
        .library(name: "Planning", targets: ["Planning"]),
        .library(name: "Launching", targets: ["Launching"]),
        .library(name: "Buffers", targets: ["Buffers"]),
        .library(name: "Reporting", targets: ["Reporting"]),
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
        .target(name: "Sampling"),
        .target(name: "Reporting"),
        .target(
            name: "Buffers",
            // The buffers sit on the ingest and training hot paths: let their generics specialise in client modules.
            swiftSettings: [.unsafeFlags(["-cross-module-optimization"])]
        ),
        .target(
            name: "Planning",
            dependencies: [
                "StudySpec",
                "Sampling",
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            resources: [.copy("Templates")]
        ),
        .target(name: "CLaunchingShims"),
        .target(
            name: "Launching",
            dependencies: ["Planning", "StudySpec", "CLaunchingShims", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .executableTarget(
            name: "MelissaCLI",
            dependencies: [
                "StudySpec",
                "Sampling",
                "Planning",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "MelissaBench",
            dependencies: [
                "Buffers",
                "Reporting",
                "StudySpec",
                "Sampling",
                "Planning",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "StudySpecTests", dependencies: ["StudySpec"], resources: [.copy("Fixtures")]),
        .testTarget(name: "SamplingTests", dependencies: ["Sampling"], resources: [.copy("Fixtures")]),
        .testTarget(name: "PlanningTests", dependencies: ["Planning", "StudySpec", "Sampling"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "LaunchingTests", dependencies: ["Launching", "Planning", "StudySpec"], resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "MelissaCLITests", dependencies: ["MelissaCLI"]),
        .testTarget(name: "BuffersTests", dependencies: ["Buffers"]),
        .testTarget(name: "ReportingTests", dependencies: ["Reporting"]),
    ],
    swiftLanguageModes: [.v6]
)
