import ArgumentParser
import Foundation
import Launching

extension Melissa {
    /// `melissa cancel`: stops every job of a study.
    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel a study: stop its launcher and every live job.",
            discussion: """
                A running launcher is told to stop (the `cancel` file in the study directory): it cancels its \
                jobs through the scheduler and exits. Jobs still live after --wait seconds (or with no launcher) \
                are cancelled from here: scancel on Slurm, SIGTERM then SIGKILL to local process groups. \
                Everything is recorded in the journal.
                """
        )

        @Argument(help: "The study directory, or the study file that was launched.")
        var studyDirectory: String

        @Option(name: .long, help: "Seconds to wait for a running launcher to stop by itself.")
        var wait: Double = 60

        func run() async throws {
            let directory = try StudyFileInput.launchedStudyDirectory(studyDirectory, command: "cancel")
            let result = try await StudyCancellation.cancel(studyDirectory: directory, wait: wait)
            var message = result.launcherStopped ? "the launcher stopped its jobs" : "no launcher was running"
            if result.cancelledHere > 0 { message += "; cancelled \(result.cancelledHere) live job(s)" }
            print("cancelled \(directory): \(message)")
        }
    }
}
