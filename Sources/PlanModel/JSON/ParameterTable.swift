import Foundation
import Sampling

/// The plan's `simulations`: the parameter table, one row of values per simulation, ordered by id (training first,
/// then validation), with the count of each role. Ids and roles are implied by a row's position.
struct ParameterTable: Codable {
    var training: Int
    var validation: Int
    var values: [[CompactValue]]

    /// The table of `jobs`, which must be numbered `0, 1, 2…` with the training ones first.
    init(_ jobs: [SimulationJob]) throws {
        try Self.check(jobs)
        training = jobs.count { $0.role == .training }
        validation = jobs.count - training
        values = jobs.map { $0.values.map(CompactValue.init) }
    }

    /// The simulations, values conformed to `parameters`.
    func jobs(parameters: [PlanParameter]) throws -> [SimulationJob] {
        guard training >= 0, validation >= 0, training + validation == values.count else {
            throw PlanningError.write(
                path: "plan.json",
                reason: "simulations: \(training) training and \(validation) validation for \(values.count) rows")
        }
        return values.enumerated().map { id, row in
            SimulationJob(
                id: id, role: id < training ? .training : .validation,
                values: PlanParameter.conform(row.map(\.value), to: parameters))
        }
    }

    /// Refuses simulations the table cannot hold: ids not `0, 1, 2…`, or a training one after a validation one.
    static func check(_ jobs: [SimulationJob]) throws {
        var validation = false
        for (index, job) in jobs.enumerated() {
            guard job.id == index else {
                throw PlanningError.write(path: "plan.json", reason: "simulation ids are not 0, 1, 2…")
            }
            if job.role == .validation { validation = true }
            guard !(validation && job.role == .training) else {
                throw PlanningError.write(
                    path: "plan.json", reason: "training simulation \(job.id) comes after a validation one")
            }
        }
    }

    /// The table as JSON, one row a line, by hand (a plan may hold a million rows): what `JSONEncoder` would write
    /// for it, laid out for diffs.
    static func json(_ jobs: [SimulationJob]) throws -> [UInt8] {
        try check(jobs)
        let training = jobs.count { $0.role == .training }
        var out: [UInt8] = []
        out.reserveCapacity(64 + jobs.count * (4 + 20 * (jobs.first?.values.count ?? 1)))
        out += #"{"training": "#.utf8
        out += String(training).utf8
        out += #", "validation": "#.utf8
        out += String(jobs.count - training).utf8
        out += #", "values": ["#.utf8
        for (index, job) in jobs.enumerated() {
            out += index > 0 ? ",\n    [".utf8 : "\n    [".utf8
            for (column, value) in job.values.enumerated() {
                if column > 0 { out.append(UInt8(ascii: ",")) }
                switch value {
                case .real(let real): appendReal(real, to: &out)
                case .integer(let integer): out += String(integer).utf8
                case .text(let text): string(text, to: &out)
                }
            }
            out.append(UInt8(ascii: "]"))
        }
        out += jobs.isEmpty ? "]}".utf8 : "\n  ]}".utf8
        return out
    }

    /// A real as JSON: its shortest round-trip form (`412.5`, `1e-05`), `null` when not finite (as JSONEncoder
    /// would refuse it).
    static func appendReal(_ real: Double, to out: inout [UInt8]) {
        guard real.isFinite else {
            out += "null".utf8
            return
        }
        out += real.description.utf8
    }

    /// A JSON string literal.
    static func string(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        let hex = Array("0123456789abcdef".utf8)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case UInt8(ascii: "\n"): out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case UInt8(ascii: "\r"): out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case UInt8(ascii: "\t"): out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20:
                out += Array(#"\u00"#.utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
