import ArgumentParser
import Foundation
import StudySpec

extension Melissa {
    /// `melissa validate`: checks a study file and summarises it.
    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a study file; print every problem, or a summary of the study.",
            discussion: """
                Every problem is printed as `file:line:column: key.path: message`, all at once, and the \
                command exits with status 1. A valid study prints a one-screen summary and exits with 0.
                """
        )

        @Argument(help: "The study file (YAML).", completion: .file(extensions: ["yaml", "yml"]))
        var studyFile: String

        func run() throws {
            let loaded = try StudyFileInput.load(studyFile)
            print(StudySummary(loaded).text)
        }
    }
}
