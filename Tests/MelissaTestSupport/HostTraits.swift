import Foundation
import Testing

extension Trait where Self == ConditionTrait {
    /// The test runs on the Slurm test cluster (`MELISSA_SLURM_CLUSTER=1`); it skips, with the reason, without it.
    public static var requiresSlurm: Self {
        .enabled(if: HostTools.slurmCluster, Comment(rawValue: HostTools.noSlurmCluster))
    }

    /// The test starts processes under `mpirun`.
    public static var requiresMPI: Self {
        .enabled(if: HostTools.mpirun != nil, "mpirun not found (apt-get install openmpi-bin)")
    }

    /// The test runs the heat solver (`build/bin/heat-pde`, from `scripts/build-clients`) under `mpirun`.
    public static var requiresHeatSolver: Self {
        .enabled(
            if: HostTools.mpirun != nil && FileManager.default.isExecutableFile(atPath: HostTools.heatSolver.path),
            "needs build/bin/heat-pde (scripts/build-clients) and mpirun")
    }

    /// The test runs this package's executable product `name` (built by `swift build`).
    public static func requiresProduct(_ name: String) -> Self {
        .enabled(if: HostTools.hasProduct(name), Comment(rawValue: "needs the built \(name) (swift build)"))
    }

    /// The test compares with a numpy reference.
    public static var requiresNumpy: Self {
        .enabled(if: HostTools.numpyPython != nil, "python3 with numpy not found (pip install numpy)")
    }

    /// The test runs `python3` with `module` importable (the project's scripts install it: scripts/install-deps).
    public static func requiresPython(_ module: String) -> Self {
        .enabled(
            if: HostTools.python(with: module) != nil,
            Comment(rawValue: "python3 with \(module) not found (scripts/install-deps installs it)"))
    }

    /// The test renders a page in headless Chromium (`chromium`, installed by scripts/install-deps).
    public static var requiresChromium: Self {
        .enabled(if: HeadlessChromium.executable != nil, "chromium not found (scripts/install-deps installs it)")
    }
}
