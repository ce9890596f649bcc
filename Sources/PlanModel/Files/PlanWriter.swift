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

    /// Writes `plan` to its study directory.
    public func write(_ plan: Plan) throws -> PlanWriteResult {
        let manager = FileManager.default
        let root = URL(fileURLWithPath: plan.studyDirectory, isDirectory: true)
        let scripts = root.appendingPathComponent("scripts", isDirectory: true)
        let rendered = try self.scripts(plan)
        let planData = try Self.encode(plan)
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
        func put(_ path: String, _ data: Data, executable: Bool) throws {
            let url = root.appendingPathComponent(path)
            do {
                try data.write(to: url)
                try manager.setAttributes([.posixPermissions: executable ? 0o755 : 0o644], ofItemAtPath: url.path)
            } catch {
                throw PlanningError.write(path: url.path, reason: error.localizedDescription)
            }
            files.append(path)
            bytes += data.count
        }
        try put("plan.json", planData, executable: false)
        try put("parameters.csv", Data(Self.parametersCSV(plan).utf8), executable: false)
        for file in rendered {
            try put(file.path, Data(file.contents.utf8), executable: file.executable)
        }
        return PlanWriteResult(
            studyDirectory: plan.studyDirectory, files: files, bytes: bytes, tokenCreated: tokenCreated,
            planBytes: planData.count
        )
    }

    /// `plan.json`: keys in snake_case and sorted, pretty-printed, the parameter table one row a line, so that plans
    /// diff well.
    public static func encode(_ plan: Plan) throws -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        encoder.userInfo[Plan.omitRowsKey] = true
        do {
            // Everything but the table through JSONEncoder, the table by hand (speed), spliced in.
            let data = try encoder.encode(plan)
            let marker = try JSONEncoder().encode(Plan.rowsPlaceholder)
            guard let range = data.range(of: marker) else {
                throw PlanningError.write(path: "plan.json", reason: "cannot place the simulations")
            }
            let table = try ParameterTable.json(plan.simulations)
            var result = Data()
            result.reserveCapacity(data.count + table.count + 1)
            result.append(data[..<range.lowerBound])
            result.append(contentsOf: table)
            result.append(data[range.upperBound...])
            result.append(0x0A)
            return result
        } catch let error as PlanningError {
            throw error
        } catch {
            throw PlanningError.write(path: "plan.json", reason: String(describing: error))
        }
    }

    /// Reads a plan written by ``encode(_:)``.
    public static func decode(_ data: Data) throws -> Plan {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Plan.self, from: data)
    }

    /// `parameters.csv`: `simulation_id,role,<parameters…>`, one row per simulation, cells quoted as RFC 4180 says.
    public static func parametersCSV(_ plan: Plan) -> String {
        var text = (["simulation_id", "role"] + plan.parameters.map(\.name)).map(csvCell).joined(separator: ",")
        text += "\n"
        text.reserveCapacity(plan.simulations.count * (12 + 20 * plan.parameters.count))
        for job in plan.simulations {
            text += String(job.id)
            text += ","
            text += job.role.rawValue
            for value in job.values {
                text += ","
                text += csvCell(value.description)
            }
            text += "\n"
        }
        return text
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
