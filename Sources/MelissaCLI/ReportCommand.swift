import ArgumentParser
import Foundation
import Server
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
            let page = StudyReportPage(record: record, version: Melissa.version)
            print(Self.summary(page.verdict, url: try page.write(), metrics: record.metrics))
        }

        /// The verdict's headline and reasons, and where the page is.
        static func summary(_ verdict: StudyVerdict, url: URL, metrics: [MetricsRecord] = []) -> String {
            let figures = StudyVerdict.figuresLine(metrics).map { ["  " + $0] } ?? []
            return ([verdict.headline] + figures + verdict.reasons.map { "  - \($0)" } + ["  report  \(url.path)"])
                .joined(separator: "\n")
        }

        /// Writes the report when `melissa launch` ends a study and prints its verdict; returns the verdict when the
        /// server wrote metrics (nil for a server that writes none, or when the report cannot be written: said on
        /// standard error, the launch's outcome unchanged).
        static func writeAtEnd(of directory: String) -> StudyVerdict? {
            do {
                let record = try StudyRecord(directory: URL(fileURLWithPath: directory))
                let page = StudyReportPage(record: record, version: Melissa.version)
                print(summary(page.verdict, url: try page.write(), metrics: record.metrics))
                return record.metrics.isEmpty ? nil : page.verdict
            } catch {
                FileHandle.standardError.write(Data("melissa: cannot write the report: \(error)\n".utf8))
                return nil
            }
        }
    }
}
