import ArgumentParser
import Foundation

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
            Validate.self, Plan.self, Launch.self, Status.self, Cancel.self, Report.self, Compare.self, Serve.self,
            Train.self,
            Predict.self, Worker.self,
        ]
    )

    /// melissa's version, as `melissa --version` prints it and the report shows it.
    static let version = "0.3.0"

    /// Runs the command line; a first word that is no command is answered with the command meant, if any, before
    /// ArgumentParser would call it "unexpected arguments".
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let message = UnknownCommand.message(for: arguments, commands: commandNames) {
            FileHandle.standardError.write(Data((message + "\n").utf8))
            Foundation.exit(ExitCode.validationFailure.rawValue)
        }
        await main(nil)
    }

    /// The subcommands' names, as typed.
    static var commandNames: [String] {
        configuration.subcommands.map { $0._commandName }
    }
}
