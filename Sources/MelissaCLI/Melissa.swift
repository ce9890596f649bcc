import ArgumentParser

/// The `melissa` command: plan, launch and inspect online-training studies.
@main
struct Melissa: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "melissa",
        abstract: "Train deep surrogates online from large ensembles of running simulations.",
        discussion: """
            A study is one YAML file: the parameters and how to sample them, how one simulation runs, \
            the training buffer and the training topology. Start with `melissa validate study.yaml`, \
            then `melissa plan study.yaml` and `melissa launch <study dir>`. See docs/study-reference.md for every key.
            """,
        version: version,
        subcommands: [
            Validate.self, Plan.self, Launch.self, Status.self, Cancel.self, Report.self, Serve.self, Predict.self,
        ]
    )

    /// melissa's version, as `melissa --version` prints it and the report shows it.
    static let version = "0.3.0"
}
