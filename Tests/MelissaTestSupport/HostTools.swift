import Foundation

/// What the machine running the tests has: the repository's own build outputs, MPI, Python with numpy, the Slurm
/// test cluster. Each test that needs one of them says so with a trait (``Testing/Trait/requiresMPI`` and the
/// others), so a machine without it skips the test with the reason instead of failing it.
public enum HostTools {
    /// The environment the tests run in.
    public static let environment = ProcessInfo.processInfo.environment

    /// The repository's root directory.
    public static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The build's products directory (`.build/debug`): where `swift build` put the test bundle and the executables.
    public static let productsDirectory: URL =
        Bundle.allBundles.first { $0.bundlePath.hasSuffix(".xctest") }?.bundleURL.deletingLastPathComponent()
        ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()

    /// The executable product `name` of this package (`melissa`, `MelissaLaunchStandIn`, …) in the build.
    public static func product(_ name: String) -> URL {
        productsDirectory.appendingPathComponent(name)
    }

    /// Whether the executable product `name` has been built.
    public static func hasProduct(_ name: String) -> Bool {
        FileManager.default.isExecutableFile(atPath: product(name).path)
    }

    /// A new empty directory under the system's temporary directory, named `<prefix>-<uuid>`; the caller removes it.
    public static func temporaryDirectory(_ prefix: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The heat solver that `scripts/build-clients` builds.
    public static let heatSolver = repositoryRoot.appendingPathComponent("build/bin/heat-pde")

    /// `mpirun` on the PATH (or in /usr/bin, /usr/local/bin), if any.
    public static let mpirun: String? = executable("mpirun", extra: ["/usr/bin", "/usr/local/bin"])

    /// `python3` with numpy importable, if any.
    public static let numpyPython: String? = python(with: "numpy")

    /// The first `python3` on the PATH (then /usr/bin) that imports `module`, if any.
    public static func python(with module: String) -> String? {
        let candidates = searchPath.map { "\($0)/python3" } + ["/usr/bin/python3"]
        return candidates.first { candidate in
            guard FileManager.default.isExecutableFile(atPath: candidate) else { return false }
            let result = try? ProcessRunner.run(candidate, ["-c", "import \(module)"])
            return result?.status == 0
        }
    }

    /// Whether the single-node Slurm test cluster is up (`scripts/test` exports `MELISSA_SLURM_CLUSTER=1` once it
    /// has started it; `eval "$(scripts/slurm-test-cluster env)"` does the same by hand).
    public static let slurmCluster = environment["MELISSA_SLURM_CLUSTER"] == "1"

    /// Why the Slurm tests skip on this machine.
    public static let noSlurmCluster =
        "needs the Slurm test cluster: scripts/slurm-test-cluster start; eval \"$(scripts/slurm-test-cluster env)\""
        + (environment["MELISSA_SLURM_UNAVAILABLE"].map { " (\($0))" } ?? "")

    private static var searchPath: [String] {
        (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
    }

    private static func executable(_ name: String, extra: [String]) -> String? {
        (searchPath + extra).map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
