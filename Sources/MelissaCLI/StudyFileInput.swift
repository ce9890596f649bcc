import ArgumentParser
import Foundation
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
}
