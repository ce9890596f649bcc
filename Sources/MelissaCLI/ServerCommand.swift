import ArgumentParser
import Foundation
import Server

extension Melissa {
    /// `melissa server`: the training server of a planned study.
    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "server",
            abstract: "Run the training server of a planned study (the plan's server script starts it).",
            discussion: """
                Binds its sockets, publishes them in STUDY_DIR/server.address, receives the simulations' time \
                steps into the training buffer and trains the surrogate. Metrics go to STUDY_DIR/metrics.jsonl, \
                checkpoints to STUDY_DIR/checkpoint.melissa (every training.checkpoint_every_batches batches and on \
                SIGTERM, SIGINT or SIGUSR1), and when reception is over and the buffer drained, the model to \
                STUDY_DIR/model.melissa and plots to STUDY_DIR/report/. With training.ranks R > 1 it runs as R MPI \
                processes (mpirun -np R, as the plan's server script does): each rank receives its share of the time \
                steps into its own buffer and writes STUDY_DIR/checkpoint-rank<r>.melissa; rank 0 serves \
                registration and control and writes metrics, model and report. Exit status: 0 when done, 143 after \
                a stop on a signal.
                """
        )

        @Argument(help: "The study directory written by `melissa plan`.", completion: .directory)
        var studyDirectory: String

        @Flag(
            help:
                "Resume from the study's checkpoint (after a crash, a walltime or a preemption); MELISSA_RESTART=1 in the environment (a launcher's resubmission) does the same."
        )
        var restart = false

        @Option(help: "The address to bind and publish (default: this host's name; 127.0.0.1 for a local study).")
        var host: String?

        func run() throws {
            let directory = URL(fileURLWithPath: studyDirectory).standardizedFileURL
            let server: TrainingServer
            do {
                server = try TrainingServer(
                    studyDirectory: directory,
                    restart: restart || ProcessInfo.processInfo.environment["MELISSA_RESTART"] == "1",
                    host: host)
            } catch {
                FileHandle.standardError.write(Data("melissa server: \(error)\n".utf8))
                throw ExitCode(1)
            }
            let signals = SignalHandlers([SIGTERM, SIGINT, SIGUSR1]) { server.requestStop() }
            defer { signals.cancel() }
            let status = try server.run()
            if status != 0 { throw ExitCode(status) }
        }
    }
}
