import Foundation

/// The melissa surrogate model file: a small JSON header and a little-endian float32 blob.
///
/// ```
/// bytes 0..<8    magic "MLSMODEL"
/// bytes 8..<16   H, the header length in bytes (UInt64, little-endian), a multiple of 8
/// bytes 16..<16+H  UTF-8 JSON header, padded with spaces
/// then           the blob: the tensors' float32 values, little-endian
/// ```
/// The header is `{"format": "melissa-surrogate", "version": 1, "architecture": {"inputCount", "hidden",
/// "outputCount", "activation"}, "parameterNames": [...], "tensors": [{"name", "offset", "count"}], "metadata": {}}`,
/// with tensor byte offsets counted from the start of the blob. The tensors are `parameters` (layer after layer,
/// row-major `outputs × inputs` weights then biases), `input_mean`, `input_std`, `output_mean` and `output_std`.
public enum SurrogateFile {
    /// The first eight bytes of every model file.
    public static let magic = Array("MLSMODEL".utf8)
    /// The value of the header's `format` key.
    public static let formatName = "melissa-surrogate"
    /// The format version this code writes and reads.
    public static let version = 1

    /// The bytes of a model file for `surrogate`, with free-form `metadata` (training steps, study name, ...).
    public static func encode(_ surrogate: Surrogate, metadata: [String: String] = [:]) throws -> Data {
        try surrogate.validate()
        let arrays: [(String, [Float])] = [
            ("parameters", surrogate.parameters), ("input_mean", surrogate.inputMean),
            ("input_std", surrogate.inputStd), ("output_mean", surrogate.outputMean),
            ("output_std", surrogate.outputStd),
        ]
        var tensors: [SurrogateHeader.Tensor] = []
        var offset = 0
        for (name, values) in arrays {
            tensors.append(.init(name: name, offset: offset, count: values.count))
            offset += values.count * 4
        }
        let header = SurrogateHeader(
            format: formatName, version: version, architecture: surrogate.architecture,
            parameterNames: surrogate.parameterNames, tensors: tensors, metadata: metadata)
        var data = try container(header: header, blobBytes: offset)
        for (_, values) in arrays {
            for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        }
        return data
    }

    /// The start of a model file: the magic, the header's length and `header` as sorted JSON padded with spaces to a
    /// multiple of 8, with room reserved for `blobBytes` more (the file's blob, which the caller appends).
    static func container(header: some Encodable, blobBytes: Int) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var json = try encoder.encode(header)
        while json.count % 8 != 0 { json.append(0x20) }
        var data = Data(capacity: 16 + json.count + blobBytes)
        data.append(contentsOf: magic)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        return data
    }

    /// A model file's JSON header and the offset of its blob; throws the reason when `data` is not such a file.
    static func header(of data: Data) throws -> (json: Data, blobStart: Int) {
        func fail(_ reason: String) -> TrainingError { .malformedModelFile(path: "model", reason: reason) }
        guard data.count >= 16, Array(data.prefix(8)) == magic else {
            throw fail("it does not start with \"MLSMODEL\"")
        }
        let start = data.startIndex
        let length = data[(start + 8)..<(start + 16)].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard length <= UInt64(data.count - 16) else { throw fail("the header runs past the end of the file") }
        return (data.subdata(in: (start + 16)..<(start + 16 + Int(length))), 16 + Int(length))
    }

    /// The free-form metadata of a model file of either kind (empty when it has none or its header cannot be read).
    public static func metadata(_ data: Data) -> [String: String] {
        struct MetadataOnly: Decodable { var metadata: [String: String]? }
        guard let json = try? header(of: data).json else { return [:] }
        return (try? JSONDecoder().decode(MetadataOnly.self, from: json))?.metadata ?? [:]
    }

    /// Reads a model file's bytes; `path` only names the file in errors.
    public static func decode(_ data: Data, path: String = "model") throws -> Surrogate {
        func fail(_ reason: String) -> TrainingError { .malformedModelFile(path: path, reason: reason) }
        let bytes = [UInt8](data)
        let json: Data
        let blobStart: Int
        do {
            (json, blobStart) = try Self.header(of: data)
        } catch TrainingError.malformedModelFile(_, let reason) {
            throw fail(reason)
        }
        let header: SurrogateHeader
        do {
            header = try JSONDecoder().decode(SurrogateHeader.self, from: json)
        } catch {
            throw fail("unreadable header (\(error))")
        }
        guard header.format == formatName else { throw fail("format \"\(header.format)\", not \(formatName)") }
        guard header.version == version else {
            throw fail("version \(header.version); this melissa reads version \(version)")
        }
        func tensor(_ name: String) throws -> [Float] {
            guard let entry = header.tensors.first(where: { $0.name == name }) else {
                throw fail("no tensor \"\(name)\"")
            }
            let start = blobStart + entry.offset
            guard entry.offset >= 0, entry.count >= 0, start + entry.count * 4 <= bytes.count else {
                throw fail("tensor \"\(name)\" lies outside the file")
            }
            return (0..<entry.count).map { index in
                let at = start + index * 4
                let bits =
                    UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16
                    | UInt32(bytes[at + 3]) << 24
                return Float(bitPattern: bits)
            }
        }
        let surrogate = Surrogate(
            architecture: header.architecture, parameters: try tensor("parameters"),
            inputMean: try tensor("input_mean"), inputStd: try tensor("input_std"),
            outputMean: try tensor("output_mean"), outputStd: try tensor("output_std"),
            parameterNames: header.parameterNames)
        do {
            try surrogate.validate()
        } catch {
            throw fail("\(error)")
        }
        return surrogate
    }
}
