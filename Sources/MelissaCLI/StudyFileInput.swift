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
    /// `path` may also be the study file, as `melissa launch` takes it: its study directory (`study.output`) is
    /// meant.
    static func launchedStudyDirectory(_ path: String, command: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            FileHandle.standardError.write(Data("melissa \(command): no such study directory or file: \(path)\n".utf8))
            throw ExitCode(1)
        }
        var directory = URL(fileURLWithPath: path).standardizedFileURL.path
        if !isDirectory.boolValue {
            let loaded = try load(path)
            directory = loaded.resolve(loaded.study.info.output).standardizedFileURL.path
        }
        guard FileManager.default.fileExists(atPath: directory + "/" + Journal.fileName) else {
            FileHandle.standardError.write(
                Data("melissa \(command): \(directory) was never launched (no journal.sqlite)\n".utf8))
            throw ExitCode(1)
        }
        return directory
    }
}
