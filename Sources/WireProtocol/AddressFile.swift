import Foundation

/// The address files a study directory holds (`server.address`, `launcher.address`): JSON with sorted keys,
/// written atomically.
enum AddressFile {
    /// Writes `value` as `directory/name` atomically: a temporary file in the same directory, then a rename.
    static func write(_ value: some Encodable, named name: String, toDirectory directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes = try encoder.encode(value)
        let final = directory.appendingPathComponent(name)
        let temporary = directory.appendingPathComponent(".\(name).\(ProcessInfo.processInfo.processIdentifier)")
        try bytes.write(to: temporary)
        guard rename(temporary.path, final.path) == 0 else {
            let code = errno
            try? FileManager.default.removeItem(at: temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: final.path, "errno": code])
        }
    }
}
