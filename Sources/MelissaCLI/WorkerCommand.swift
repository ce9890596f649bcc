import ArgumentParser
import Foundation
import Launching

extension Melissa {
    /// `melissa worker`: one worker job of a study with `execution.workers` (the plan's worker script starts it).
    struct Worker: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run simulations one after another for the launcher (the plan's worker script starts it).",
            discussion: """
                For studies with execution.workers. Asks the study's launcher (STUDY_DIR/launcher.address, \
                authenticated with the study token) for a simulation, runs it as the local scheduler would \
                (scripts/simulation.sh ID, its attempt's own log), reports it while it runs and when it ended, and \
                asks again, until the launcher has nothing left for it. SIGTERM or SIGINT stop the simulation it runs \
                and the worker; SIGUSR1 (Slurm's warning before the walltime) reaches the simulation as its own \
                warning. A worker that outlived its launcher finishes its simulation and waits for a resumed one \
                (melissa launch --resume) for --patience seconds. Exit status: 0, or 1 when the launcher refused it.
                """
        )

        @Argument(help: "The study directory written by `melissa plan`.", completion: .directory)
        var studyDirectory: String

        @Option(help: "The worker's number (default: MELISSA_WORKER, which its job's script sets).")
        var number: Int?

        @Option(help: "Seconds without an answer from any launcher, while idle, after which the worker leaves.")
        var patience: Double = 600

        func run() throws {
            let directory = URL(fileURLWithPath: studyDirectory).standardizedFileURL.path
            guard let options = SimulationWorker.Options(studyDirectory: directory, number: number, patience: patience)
            else {
                throw ValidationError("no worker number: give --number N (a worker's job script sets MELISSA_WORKER)")
            }
            let worker: SimulationWorker
            do {
                worker = try SimulationWorker(options: options) { line in
                    FileHandle.standardOutput.write(Data((line + "\n").utf8))
                }
            } catch {
                FileHandle.standardError.write(Data("melissa worker: \(error)\n".utf8))
                throw ExitCode(1)
            }
            let status = worker.runHandlingSignals()
            if status != 0 { throw ExitCode(status) }
        }
    }
}
