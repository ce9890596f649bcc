import Foundation

/// A file-system error said the way a person reads it ("no such file: /tmp/plan.json"), not as Foundation prints it
/// (`Error Domain=NSCocoaErrorDomain Code=260 …`).
public enum FileProblem {
    /// What went wrong with `path`.
    public static func describe(_ error: any Error, path: String) -> String {
        if let cocoa = error as? CocoaError {
            switch cocoa.code {
            case .fileReadNoSuchFile, .fileNoSuchFile: return "no such file: \(path)"
            case .fileReadNoPermission, .fileWriteNoPermission: return "permission denied: \(path)"
            case .fileReadCorruptFile: return "\(path) is unreadable or not in the expected format"
            case .fileReadTooLarge: return "\(path) is too large to read"
            case .fileWriteOutOfSpace: return "no space left on the device for \(path)"
            default: break
            }
            if let underlying = cocoa.userInfo[NSUnderlyingErrorKey] as? NSError,
                underlying.domain == NSPOSIXErrorDomain
            {
                return "\(path): \(String(cString: strerror(Int32(underlying.code))))"
            }
        }
        if let posix = error as? POSIXError { return "\(path): \(String(cString: strerror(posix.code.rawValue)))" }
        return "\(path): \(error)"
    }
}
