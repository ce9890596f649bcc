import Foundation

extension Surrogate {
    /// Reads a model file (``SurrogateFile``).
    public init(contentsOf url: URL) throws {
        self = try SurrogateFile.decode(try Data(contentsOf: url), path: url.path)
    }

    /// Writes the model file atomically (temporary file, then rename).
    public func write(to url: URL, metadata: [String: String] = [:]) throws {
        try SurrogateFile.encode(self, metadata: metadata).write(to: url, options: .atomic)
    }
}
