import Foundation

/// The melissa model file of a PyTorch-trained surrogate: the same container as ``SurrogateFile`` (magic, header
/// length, JSON header, blob) with the exported TorchScript module as its blob.
///
/// The header is `{"format": "melissa-torch-surrogate", "version": 1, "backend": "pytorch", "inputCount",
/// "outputCount", "parameterNames", "metadata", "tensors": [{"name": "torchscript", "offset": 0, "count": BYTES}]}`.
/// The TorchScript module takes raw inputs `(n, inputCount)` float32 (the parameters, then the time step) and
/// returns raw outputs `(n, outputCount)`: the normalisation is inside it. `melissa predict` runs it through
/// `python -m melissa_torch.predict`.
public struct TorchModelFile: Sendable, Hashable {
    /// The value of the header's `format` key.
    public static let formatName = "melissa-torch-surrogate"
    /// The format version this code writes and reads.
    public static let version = 1

    /// Inputs per row: the parameters and the time step.
    public var inputCount: Int
    /// Outputs per row: every field's values.
    public var outputCount: Int
    /// The parameters' names, in input order.
    public var parameterNames: [String]
    /// Free-form metadata (the study, the batches, the parameters' ranges, the Python interpreter).
    public var metadata: [String: String]
    /// The TorchScript file's bytes.
    public var torchScript: Data

    /// Creates a model file's contents.
    public init(
        inputCount: Int, outputCount: Int, parameterNames: [String], metadata: [String: String], torchScript: Data
    ) {
        self.inputCount = inputCount
        self.outputCount = outputCount
        self.parameterNames = parameterNames
        self.metadata = metadata
        self.torchScript = torchScript
    }

    private struct Header: Codable {
        var format: String
        var version: Int
        var backend: String
        var inputCount: Int
        var outputCount: Int
        var parameterNames: [String]
        var metadata: [String: String]
        var tensors: [Tensor]
    }

    private struct Tensor: Codable {
        var name: String
        var offset: Int
        var count: Int
    }

    private struct Format: Decodable { var format: String? }

    /// Whether `data` is a model file of this kind (judged by its header's `format`).
    public static func isTorchModel(_ data: Data) -> Bool {
        guard let header = try? SurrogateFile.header(of: data) else { return false }
        return (try? JSONDecoder().decode(Format.self, from: header.json))?.format == formatName
    }

    /// The file's bytes.
    public func encoded() throws -> Data {
        let header = Header(
            format: Self.formatName, version: Self.version, backend: "pytorch", inputCount: inputCount,
            outputCount: outputCount, parameterNames: parameterNames, metadata: metadata,
            tensors: [Tensor(name: "torchscript", offset: 0, count: torchScript.count)])
        var data = try SurrogateFile.container(header: header, blobBytes: torchScript.count)
        data.append(torchScript)
        return data
    }

    /// Writes `file` to `url` atomically.
    public static func write(_ file: TorchModelFile, to url: URL) throws {
        try file.encoded().write(to: url, options: .atomic)
    }

    /// Reads a model file's bytes; `path` only names the file in errors.
    public init(_ data: Data, path: String = "model") throws {
        func fail(_ reason: String) -> TrainingError { .malformedModelFile(path: path, reason: reason) }
        let headerData: Data
        let blobStart: Int
        do {
            (headerData, blobStart) = try SurrogateFile.header(of: data)
        } catch TrainingError.malformedModelFile(_, let reason) {
            throw fail(reason)
        }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: headerData)
        } catch {
            throw fail("unreadable header (\(error))")
        }
        guard header.format == Self.formatName else {
            throw fail("format \"\(header.format)\", not \(Self.formatName)")
        }
        guard header.version == Self.version else {
            throw fail("version \(header.version); this melissa reads version \(Self.version)")
        }
        guard let tensor = header.tensors.first(where: { $0.name == "torchscript" }) else {
            throw fail("no tensor \"torchscript\"")
        }
        let start = blobStart + tensor.offset
        guard tensor.offset >= 0, tensor.count > 0, start + tensor.count <= data.count else {
            throw fail("the TorchScript module lies outside the file")
        }
        guard header.inputCount > 0, header.outputCount > 0 else { throw fail("no inputs or no outputs") }
        inputCount = header.inputCount
        outputCount = header.outputCount
        parameterNames = header.parameterNames
        metadata = header.metadata
        torchScript = data.subdata(in: (data.startIndex + start)..<(data.startIndex + start + tensor.count))
    }
}

/// Where melissa's Python package `melissa_torch` is (the directory that holds `melissa_torch/`).
public enum TorchPackage {
    /// `MELISSA_TORCH_PATH` when set; else the `python/` directory of the melissa checkout this executable was
    /// built in (found by walking up from the executable).
    public static func locate(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> URL {
        let manager = FileManager.default
        func holdsPackage(_ directory: URL) -> Bool {
            manager.fileExists(atPath: directory.appendingPathComponent("melissa_torch/trainer.py").path)
        }
        if let path = environment["MELISSA_TORCH_PATH"], !path.isEmpty {
            let directory = URL(fileURLWithPath: path)
            guard holdsPackage(directory) else {
                throw TrainingError.backend(
                    "MELISSA_TORCH_PATH is \(path), which holds no melissa_torch/trainer.py; set it to the "
                        + "directory that holds melissa_torch/ (python/ in the melissa checkout)")
            }
            return directory
        }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        for _ in 0..<8 {
            let candidate = directory.appendingPathComponent("python")
            if holdsPackage(candidate) { return candidate }
            let parent = directory.deletingLastPathComponent()
            if parent.path == directory.path { break }
            directory = parent
        }
        throw TrainingError.backend(
            "cannot find melissa's Python package melissa_torch (python/melissa_torch in the melissa checkout, "
                + "looked for above \(executable.path)); set MELISSA_TORCH_PATH to the directory that holds "
                + "melissa_torch/")
    }
}

/// Predictions of an exported PyTorch model: `python -m melissa_torch.predict` on its TorchScript module, kept
/// running for as many predictions as asked.
public final class TorchPredictor {
    private let process: TorchProcess
    private let file: TorchModelFile
    private let script: URL

    /// Starts the predictor of `file` with `python` (the model's metadata `python`, else `python3`).
    public init(file: TorchModelFile, python: String? = nil, package: URL) throws {
        self.file = file
        script = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
            "melissa-predict-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).pt")
        try file.torchScript.write(to: script)
        do {
            process = try TorchProcess(
                python: python ?? file.metadata["python"] ?? "python3", module: "melissa_torch.predict",
                arguments: [script.path], package: package, directory: nil, role: "the PyTorch predictor",
                prefix: "")
        } catch {
            try? FileManager.default.removeItem(at: script)
            throw error
        }
    }

    deinit {
        process.finish()
        try? FileManager.default.removeItem(at: script)
    }

    /// The raw outputs for `rows` raw inputs (each the parameters, then the time step).
    public func predict(_ rows: [[Float]]) throws -> [[Float]] {
        guard !rows.isEmpty else { return [] }
        for row in rows where row.count != file.inputCount {
            throw TrainingError.wrongParameterCount(expected: file.inputCount - 1, got: row.count - 1)
        }
        var request = Array("{\"rows\": \(rows.count)}\n".utf8)
        for row in rows {
            for value in row { withUnsafeBytes(of: value.bitPattern.littleEndian) { request += $0 } }
        }
        try process.send(request)
        let bytes = try process.receive(count: rows.count * file.outputCount * 4)
        return (0..<rows.count).map { r in
            (0..<file.outputCount).map { j in
                let at = (r * file.outputCount + j) * 4
                let bits =
                    UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16
                    | UInt32(bytes[at + 3]) << 24
                return Float(bitPattern: bits)
            }
        }
    }
}
