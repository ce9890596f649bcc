import Sampling

/// A hand-written JSON encoding of the simulations, the bulk of a large plan: the same document
/// `JSONEncoder` would write for ``SimulationJob`` (sorted keys, snake_case), an order of magnitude faster.
enum SimulationJSON {
    /// The simulations as a JSON array.
    static func array(_ jobs: [SimulationJob]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(jobs.count * 320)
        out.append(UInt8(ascii: "["))
        for (index, job) in jobs.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            append(job, to: &out)
        }
        out.append(UInt8(ascii: "]"))
        return out
    }

    static func append(_ job: SimulationJob, to out: inout [UInt8]) {
        out += #"{"command":"#.utf8
        string(job.command, to: &out)
        if !job.environment.isEmpty {
            out += #","environment":["#.utf8
            for (index, variable) in job.environment.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                out += #"{"name":"#.utf8
                string(variable.name, to: &out)
                out += #","word":"#.utf8
                string(variable.word, to: &out)
                out.append(UInt8(ascii: "}"))
            }
            out.append(UInt8(ascii: "]"))
        }
        out += #","id":"#.utf8
        out += String(job.id).utf8
        out += #","role":""#.utf8
        out += job.role.rawValue.utf8
        out.append(UInt8(ascii: "\""))
        if let script = job.script {
            out += #","script":"#.utf8
            string(script, to: &out)
        }
        out += #","values":["#.utf8
        for (index, value) in job.values.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            switch value {
            case .real(let real): out += (real.isFinite ? real.description : "null").utf8
            case .integer(let integer): out += String(integer).utf8
            case .text(let text): string(text, to: &out)
            }
        }
        out += #"],"working_directory":"#.utf8
        string(job.workingDirectory, to: &out)
        out.append(UInt8(ascii: "}"))
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
