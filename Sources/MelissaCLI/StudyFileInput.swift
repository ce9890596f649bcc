import ArgumentParser
import Foundation
import Launching
import StudySpec

/// Loads a study file for a command, turning validation errors into a printed list and exit status 1.
enum StudyFileInput {
    static func load(_ path: String) throws -> LoadedStudy {
        do {
            return try StudyLoader.load(contentsOf: URL(fileURLWithPath: path))
        } catch let error as StudyValidationError {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(1)
        }
    }

    /// The absolute path of a study directory that was launched (it has a journal); otherwise prints why `melissa
    /// <command>` cannot act on it and exits with status 1.
    static func launchedStudyDirectory(_ path: String, command: String) throws -> String {
        let directory = URL(fileURLWithPath: path).standardizedFileURL.path
        guard FileManager.default.fileExists(atPath: directory + "/" + Journal.fileName) else {
            FileHandle.standardError.write(
                Data("melissa \(command): \(directory) was never launched (no journal.sqlite)\n".utf8))
            throw ExitCode(1)
        }
        return directory
    }
}
