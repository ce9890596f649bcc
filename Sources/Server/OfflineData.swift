import Foundation
import PlanModel
import Training

/// The data an offline study's simulations wrote (docs/offline.md): per simulation `data/sim-<id>/<field>.npy`
/// and `complete.json`, read into training and held-out samples with the same inputs as online.
struct OfflineData {
    /// The samples of the training simulations, simulation by simulation, step by step.
    var training: [TrainingSample] = []
    /// The held-out samples, by validation simulation.
    var validation: [UInt32: [TrainingSample]] = [:]
    /// Statistics of the training samples' outputs.
    var outputStatistics: FeatureStatistics
    /// Simulations whose data are complete.
    var complete = 0
    /// Simulations of the plan without complete data (no `complete.json`: never ran, or an attempt that did not
    /// finish).
    var missing: [Int] = []
    /// Bytes of the field files read.
    var bytes = 0

    /// The data directory of a study.
    static func directory(of studyDirectory: URL) -> URL { studyDirectory.appendingPathComponent("data") }

    /// What `complete.json` says.
    struct Completion: Decodable {
        struct Field: Decodable {
            var name: String
            var size: Int
            var file: String
        }

        var format: String
        var simulation: Int
        var attempt: Int
        var timeSteps: Int
        var stepsWritten: Int
        var fields: [Field]
        var bytes: Int?
    }

    /// Reads the data of every simulation of `plan` in `studyDirectory`.
    init(plan: Plan, studyDirectory: URL, parameterSets: ParameterSets) throws {
        let outputCount = plan.server.fields.reduce(0) { $0 + ($1.size ?? 0) }
        outputStatistics = FeatureStatistics(features: outputCount)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        for job in plan.simulations {
            let folder = Self.directory(of: studyDirectory).appendingPathComponent("sim-\(job.id)")
            let marker = folder.appendingPathComponent("complete.json")
            guard let contents = FileManager.default.contents(atPath: marker.path) else {
                missing.append(job.id)
                continue
            }
            let completion: Completion
            do {
                completion = try decoder.decode(Completion.self, from: contents)
            } catch {
                throw ServerError.plan("\(marker.path) is not a melissa offline completion record: \(error)")
            }
            guard completion.format == "melissa-offline-1" else {
                throw ServerError.plan("\(marker.path): unknown format `\(completion.format)`")
            }
            let id = UInt32(job.id)
            let set = parameterSets.parameterSet(simulationID: id, attempt: UInt32(max(completion.attempt, 0)))
            guard let parameters = parameterSets.input(simulationID: id, parameterSet: set) else {
                throw ServerError.plan("no parameter set \(set) of simulation \(job.id) for \(folder.path)")
            }
            let steps = min(completion.stepsWritten, plan.simulation.timeSteps)
            var arrays: [[Float]] = []
            for field in plan.server.fields {
                guard let declared = completion.fields.first(where: { $0.name == field.name }) else {
                    throw ServerError.plan("\(marker.path) has no field `\(field.name)`")
                }
                let url = folder.appendingPathComponent(declared.file)
                let array = try NPYArray(contentsOf: url)
                guard array.columns == field.size, array.rows >= steps else {
                    throw ServerError.plan(
                        "\(url.path) is \(array.rows) × \(array.columns); expected at least \(steps) × "
                            + "\(field.size ?? 0) (time steps × the field's size)")
                }
                bytes += array.fileBytes
                arrays.append(array.values)
            }
            for step in 0..<steps {
                // Straight into the sample's storage, field after field.
                let output = FloatValues(uninitializedCount: outputCount) { values in
                    var next = 0
                    for (index, field) in plan.server.fields.enumerated() {
                        let size = field.size ?? 0
                        arrays[index].withUnsafeBufferPointer { source in
                            (values.baseAddress.unsafelyUnwrapped + next).initialize(
                                from: source.baseAddress.unsafelyUnwrapped + step * size, count: size)
                        }
                        next += size
                    }
                }
                var sample = TrainingSample(parameters: parameters, timeStep: Float(step), field: output)
                if job.role == .validation {
                    validation[id, default: []].append(sample)
                } else {
                    sample.origin = SampleOrigin(simulationID: id, timeStep: UInt32(step), parameterSet: UInt32(set))
                    sample.output.withUnsafeBufferPointer { outputStatistics.add($0) }
                    training.append(sample)
                }
            }
            complete += 1
        }
    }
}

/// A NumPy `.npy` file of float32 values in two dimensions, C order (what the client library writes offline).
struct NPYArray {
    var rows: Int
    var columns: Int
    var values: [Float]
    var fileBytes: Int

    init(contentsOf url: URL) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ServerError.plan("cannot read \(url.path)")
        }
        func fail(_ why: String) -> ServerError { ServerError.plan("\(url.path) is not a float32 .npy matrix: \(why)") }
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1..<6]) == Array("NUMPY".utf8) else {
            throw fail("no .npy magic")
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw fail("truncated header") }
            headerLength = (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
            headerStart = 12
        default:
            throw fail("format version \(major)")
        }
        guard bytes.count >= headerStart + headerLength else { throw fail("truncated header") }
        let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        guard header.contains("'descr': '<f4'") else { throw fail("dtype is not '<f4' (header \(header))") }
        guard header.contains("'fortran_order': False") else { throw fail("Fortran order") }
        guard let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")")
        else { throw fail("no shape") }
        let extents = header[open.upperBound..<close].split(separator: ",").compactMap {
            Int($0.trimmingCharacters(in: .whitespaces))
        }
        guard extents.count == 2 else { throw fail("shape \(header[open.upperBound..<close]) is not two-dimensional") }
        let (rows, columns) = (extents[0], extents[1])
        self.rows = rows
        self.columns = columns
        let start = headerStart + headerLength
        guard bytes.count - start >= rows * columns * 4 else { throw fail("fewer values than its shape") }
        var values = [Float](repeating: 0, count: rows * columns)
        values.withUnsafeMutableBytes { target in
            bytes.withUnsafeBytes { source in
                target.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[start..<(start + rows * columns * 4)]))
            }
        }
        self.values = values.map { Float(bitPattern: UInt32(littleEndian: $0.bitPattern)) }
        fileBytes = bytes.count
    }
}
