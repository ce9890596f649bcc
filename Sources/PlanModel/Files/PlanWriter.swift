import Foundation

/// Writes a plan into its study directory: `plan.json`, `parameters.csv`, the token, `scripts/` and `logs/`.
///
/// `scripts/` is the writer's own: it is emptied and rewritten on every plan. The token is kept when it exists.
/// Planning's `init(templates:)` renders the scripts from templates.
public struct PlanWriter: Sendable {
    /// The scripts and the values file of a plan, paths relative to the study directory.
    public var scripts: @Sendable (Plan) throws -> [GeneratedFile]

    /// Creates a writer whose scripts and values file `scripts` renders.
    public init(scripts: @escaping @Sendable (Plan) throws -> [GeneratedFile]) {
        self.scripts = scripts
    }

    /// Writes `plan` to its study directory. The per-simulation files (`plan.json`'s table, `parameters.csv`, the
    /// values file) are written in one pass over the simulations, in chunks, never whole in memory.
    public func write(_ plan: Plan) throws -> PlanWriteResult {
        let manager = FileManager.default
        let root = URL(fileURLWithPath: plan.studyDirectory, isDirectory: true)
        let scripts = root.appendingPathComponent("scripts", isDirectory: true)
        try ParameterTable.check(plan.simulations)
        let rendered = try self.scripts(plan).filter { $0.path != plan.scripts.values }
        let (opening, closing) = try Self.skeleton(plan)
        do {
            try manager.createDirectory(at: root, withIntermediateDirectories: true)
            try manager.createDirectory(
                at: URL(fileURLWithPath: plan.logsDirectory, isDirectory: true), withIntermediateDirectories: true
            )
            if manager.fileExists(atPath: scripts.path) { try manager.removeItem(at: scripts) }
            try manager.createDirectory(at: scripts, withIntermediateDirectories: true)
        } catch {
            throw PlanningError.write(path: plan.studyDirectory, reason: error.localizedDescription)
        }
        let tokenCreated = try StudyToken.ensure(at: plan.tokenFile)
        var files: [String] = tokenCreated ? ["token"] : []
        var bytes = 0
        func mode(_ path: String, executable: Bool) throws {
            let url = root.appendingPathComponent(path)
            do {
                try manager.setAttributes([.posixPermissions: executable ? 0o755 : 0o644], ofItemAtPath: url.path)
            } catch {
                throw PlanningError.write(path: url.path, reason: error.localizedDescription)
            }
        }
        func put(_ path: String, _ data: Data, executable: Bool) throws {
            let url = root.appendingPathComponent(path)
            do {
                try data.write(to: url)
            } catch {
                throw PlanningError.write(path: url.path, reason: error.localizedDescription)
            }
            try mode(path, executable: executable)
            files.append(path)
            bytes += data.count
        }

        let json = try PlanTables.ChunkedFile(path: root.appendingPathComponent("plan.json").path)
        let csv = try PlanTables.ChunkedFile(path: root.appendingPathComponent("parameters.csv").path)
        let values = try PlanTables.ChunkedFile(path: root.appendingPathComponent(plan.scripts.values).path)
        json.buffer += opening
        json.buffer += PlanTables.jsonOpening(training: plan.trainingCount, validation: plan.validationCount)
        csv.buffer += Self.csvHeader(plan).utf8
        for (index, job) in plan.simulations.enumerated() {
            PlanTables.append(job, first: index == 0, json: &json.buffer, csv: &csv.buffer, values: &values.buffer)
            if index & 255 == 255 {
                try json.flushIfFull()
                try csv.flushIfFull()
                try values.flushIfFull()
            }
        }
        json.buffer += PlanTables.jsonClosing(count: plan.simulations.count)
        json.buffer += closing
        json.buffer.append(0x0A)
        let planBytes = try json.close()
        let csvBytes = try csv.close()
        let valuesBytes = try values.close()
        try mode("plan.json", executable: false)
        try mode("parameters.csv", executable: false)
        try mode(plan.scripts.values, executable: false)
        files += ["plan.json", "parameters.csv"]
        bytes += planBytes + csvBytes
        for file in rendered {
            try put(file.path, Data(file.contents.utf8), executable: file.executable)
        }
        files.append(plan.scripts.values)
        bytes += valuesBytes
        return PlanWriteResult(
            studyDirectory: plan.studyDirectory, files: files, bytes: bytes, tokenCreated: tokenCreated,
            planBytes: planBytes
        )
    }

    /// `plan.json` before and after its parameter table.
    static func skeleton(_ plan: Plan) throws -> (opening: [UInt8], closing: [UInt8]) {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        encoder.userInfo[Plan.omitRowsKey] = true
        let data: Data
        let marker: Data
        do {
            data = try encoder.encode(plan)
            marker = try JSONEncoder().encode(Plan.rowsPlaceholder)
        } catch {
            throw PlanningError.write(path: "plan.json", reason: String(describing: error))
        }
        guard let range = data.range(of: marker) else {
            throw PlanningError.write(path: "plan.json", reason: "cannot place the simulations")
        }
        return (Array(data[..<range.lowerBound]), Array(data[range.upperBound...]))
    }

    /// `scripts.values`: line `id + 1` is simulation `id`'s id, then its values, each one quoted shell word.
    public static func valuesFile(_ plan: Plan) -> String {
        var json: [UInt8] = []
        var csv: [UInt8] = []
        var values: [UInt8] = []
        for (index, job) in plan.simulations.enumerated() {
            PlanTables.append(job, first: index == 0, json: &json, csv: &csv, values: &values)
        }
        return String(decoding: values, as: UTF8.self)
    }

    /// `plan.json`: keys in snake_case and sorted, pretty-printed, the parameter table one row a line, so that plans
    /// diff well.
    public static func encode(_ plan: Plan) throws -> Data {
        try ParameterTable.check(plan.simulations)
        let (opening, closing) = try skeleton(plan)
        var json: [UInt8] = []
        var csv: [UInt8] = []
        var values: [UInt8] = []
        json.reserveCapacity(opening.count + closing.count + plan.simulations.count * 100)
        json += opening
        json += PlanTables.jsonOpening(training: plan.trainingCount, validation: plan.validationCount)
        for (index, job) in plan.simulations.enumerated() {
            PlanTables.append(job, first: index == 0, json: &json, csv: &csv, values: &values)
            csv.removeAll(keepingCapacity: true)
            values.removeAll(keepingCapacity: true)
        }
        json += PlanTables.jsonClosing(count: plan.simulations.count)
        json += closing
        json.append(0x0A)
        return Data(json)
    }

    /// Reads a plan written by ``encode(_:)``.
    public static func decode(_ data: Data) throws -> Plan {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Plan.self, from: data)
    }

    /// `parameters.csv`: `simulation_id,role,<parameters…>`, one row per simulation, cells quoted as RFC 4180 says.
    public static func parametersCSV(_ plan: Plan) -> String {
        var json: [UInt8] = []
        var csv = Array(csvHeader(plan).utf8)
        var values: [UInt8] = []
        for (index, job) in plan.simulations.enumerated() {
            PlanTables.append(job, first: index == 0, json: &json, csv: &csv, values: &values)
            json.removeAll(keepingCapacity: true)
            values.removeAll(keepingCapacity: true)
        }
        return String(decoding: csv, as: UTF8.self)
    }

    /// The header line of `parameters.csv`.
    static func csvHeader(_ plan: Plan) -> String {
        (["simulation_id", "role"] + plan.parameters.map(\.name)).map(csvCell).joined(separator: ",") + "\n"
    }

    /// A CSV cell: in double quotes (a quote doubled) when it holds a comma, quote, line break or outer blanks.
    static func csvCell(_ text: String) -> String {
        let utf8 = text.utf8
        let needsQuotes =
            utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
            || utf8.first == 0x20 || utf8.last == 0x20 || utf8.first == 0x09 || utf8.last == 0x09
        guard needsQuotes else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
