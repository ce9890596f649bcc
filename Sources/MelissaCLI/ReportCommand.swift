import ArgumentParser
import Foundation
import StudyReport

extension Melissa {
    /// `melissa report`: writes the study's report page from what its directory holds now.
    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write <study dir>/report/index.html: one self-contained page with a verdict, curves, "
                + "the buffer, the simulations and the study's facts.",
            discussion: """
                Works during a run and after it: it reads plan.json, metrics.jsonl, journal.sqlite and \
                model.melissa and changes none of them. `melissa launch` writes the same page when a study \
                ends. The page needs no network: open it from the cluster's file system or send it by mail. \
                docs/report.md describes each section.
                """
        )

        @Argument(help: "The study directory.")
        var studyDirectory: String

        func run() throws {
            let directory = URL(fileURLWithPath: studyDirectory)
            let record: StudyRecord
            do {
                record = try StudyRecord(directory: directory)
            } catch let error as StudyReportError {
                throw ValidationError(error.description)
            }
            let url = try StudyReportPage(record: record, version: Melissa.version).write()
            let verdict = StudyVerdict(record)
            print("\(verdict.headline)\n  report  \(url.path)")
        }
    }
}
