import Foundation

/// A study read from a file, with where it came from (relative paths in it are relative to `directory`).
public struct LoadedStudy: Sendable {
    /// The validated study.
    public var study: Study
    /// The study file.
    public var fileURL: URL
    /// The study file's directory, absolute.
    public var directory: URL

    /// Creates a loaded study.
    public init(study: Study, fileURL: URL, directory: URL) {
        self.study = study
        self.fileURL = fileURL
        self.directory = directory
    }

    /// `path` resolved against the study file's directory unless it is absolute.
    public func resolve(_ path: String) -> URL {
        Self.resolve(path, relativeTo: directory)
    }

    /// `path` resolved against `directory` unless it is absolute (`~/` means the home directory).
    public static func resolve(_ path: String, relativeTo directory: URL) -> URL {
        if path.hasPrefix("/") { return URL(fileURLWithPath: path).standardizedFileURL }
        if path.hasPrefix("~/") {
            let home = FileManager.default.homeDirectoryForCurrentUser
            return home.appendingPathComponent(String(path.dropFirst(2))).standardizedFileURL
        }
        return directory.appendingPathComponent(path).standardizedFileURL
    }
}
