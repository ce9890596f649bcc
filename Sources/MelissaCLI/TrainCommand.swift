import ArgumentParser
import Foundation
import Server
import StudySpec

extension Melissa {
    /// `melissa train`: offline training on what an offline study's simulations wrote.
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train the study's surrogate offline, on the data its simulations wrote to <study dir>/data.",
            discussion: """
                For a study planned with `execution.mode: offline` (docs/offline.md): once its simulations \
                have run (`melissa launch` does both), this trains the same network with the same trainer, \
                normalisation, validations, metrics and model file as online training, for `training.epochs` \
                shuffled passes over the stored training samples. It writes model.melissa, metrics.jsonl and \
                report/index.html in the study directory (replacing those of an earlier training), prints the \
                bytes read and the validation figures, and exits 1 when no usable surrogate came out.
                """
        )

        @Argument(help: "The study directory (planned with `melissa plan`, its simulations run).")
        var studyDirectory: String

        @Option(help: "Shuffled passes over the training samples (default: the study's `training.epochs`).")
        var epochs: Int?

        func run() throws {
            let directory = URL(fileURLWithPath: studyDirectory).standardizedFileURL
            let report: OfflineTrainingReport
            do {
                let server = try TrainingServer(studyDirectory: directory, restart: false)
                let passes = epochs ?? server.plannedEpochs
                guard passes >= 1 else { throw ValidationError("--epochs must be at least 1") }
                print("training offline for \(passes) epoch(s) on the data in \(directory.path)/data")
                report = try server.trainOffline(epochs: passes)
            } catch let error as ValidationError {
                throw error
            } catch {
                FileHandle.standardError.write(Data("melissa train: \(error)\n".utf8))
                throw ExitCode(1)
            }
            print(Self.summary(report))
            if let verdict = Melissa.Report.writeAtEnd(of: directory.path), verdict.isFailure {
                print("✗ no usable surrogate: " + verdict.reasons.joined(separator: "; "))
                throw ExitCode(1)
            }
        }

        /// The training step of `melissa launch` for an offline study: trains for `training.epochs` and prints what
        /// it did (the launch's conclusion gives the verdict).
        static func trainAfterLaunch(directory: String) throws {
            let server = try TrainingServer(studyDirectory: URL(fileURLWithPath: directory), restart: false)
            print(
                "offline: the simulations' data are in \(directory)/data; training for \(server.plannedEpochs) "
                    + "epoch(s)")
            let report: OfflineTrainingReport
            do {
                report = try server.trainOffline(epochs: server.plannedEpochs)
            } catch {
                FileHandle.standardError.write(Data("melissa launch: offline training failed: \(error)\n".utf8))
                throw ExitCode(1)
            }
            print(summary(report))
        }

        /// The data read and the training done, in two lines.
        static func summary(_ report: OfflineTrainingReport) -> String {
            let missing =
                report.missing.isEmpty
                ? "" : "; \(counted(report.missing.count, "simulation")) without complete data ignored"
            return """
                data: \(counted(report.simulations, "simulation")), \(report.trainingSamples) training and \
                \(report.validationSamples) held-out samples, \(StudySummary.bytes(Double(report.bytes))) read in \
                \(String(format: "%.1f", report.loadSeconds)) s\(missing)
                trained: \(report.batches) batches, \(report.epochs) epoch(s) in \
                \(String(format: "%.1f", report.trainSeconds)) s
                """
        }
    }
}
