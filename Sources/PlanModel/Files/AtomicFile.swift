import Foundation

/// Files the launcher and the server read while they are being replaced: written whole to a temporary file in the
/// same directory, then renamed over the old one, so a reader sees the old contents or the new, never a part.
package enum AtomicFile {
    /// Writes `data` to `url` (creating its directory); a failure is `failure(path, reason)`.
    package static func write(
        _ data: Data, to url: URL, failure: (_ path: String, _ reason: String) -> PlanningError
    ) throws {
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(
            ".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier)")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try data.write(to: temporary)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw failure(url.path, error.localizedDescription)
        }
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw failure(url.path, reason)
        }
    }
}
