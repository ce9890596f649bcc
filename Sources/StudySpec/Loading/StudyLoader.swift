import Foundation
import Yams

/// Reads and validates study files.
public enum StudyLoader {
    /// Reads the study file at `url` and validates it.
    ///
    /// - Throws: ``StudyValidationError`` listing every problem found, each with file, line and column; or the
    ///   file system's error when the file cannot be read.
    public static func load(contentsOf url: URL) throws -> LoadedStudy {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            let reason =
                FileManager.default.fileExists(atPath: url.path) ? "is not readable UTF-8 text" : "does not exist"
            throw StudyValidationError(diagnostics: [
                StudyDiagnostic(
                    file: url.relativePath, line: 1, column: 1, path: "", message: "the study file \(reason)")
            ])
        }
        let directory = url.deletingLastPathComponent().standardizedFileURL
        return try parse(text, fileName: url.relativePath, directory: absolute(directory))
    }

    /// Validates study text; `fileName` is used in diagnostics, `directory` resolves relative paths.
    public static func parse(_ yaml: String, fileName: String, directory: URL) throws -> LoadedStudy {
        var parser = StudyParser(file: fileName, directory: directory)
        let study = parser.parseDocument(yaml)
        guard parser.diagnostics.isEmpty, let study else {
            throw StudyValidationError(diagnostics: parser.diagnostics)
        }
        return LoadedStudy(
            study: study, fileURL: directory.appendingPathComponent(URL(fileURLWithPath: fileName).lastPathComponent),
            directory: directory)
    }

    private static func absolute(_ url: URL) -> URL {
        if url.path.hasPrefix("/") { return url }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(url.path)
            .standardizedFileURL
    }
}
