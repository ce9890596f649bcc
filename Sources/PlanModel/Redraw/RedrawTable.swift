import Foundation
import Sampling

/// The parameters the launcher redrew for simulations that crashed too often: `<study dir>/redraws.json`.
///
/// The one record of a study's redraws: the launcher writes it (atomically), with the `redrawn/<id>.values` rows
/// derived from it, through ``Plan/writeRedraws(_:)`` before it submits a redrawn attempt, so a simulation never
/// registers before the server can read its new values, and the scripts run what the table says. A simulation's values at attempt `a` are those of its redraw with the
/// largest `fromAttempt` ≤ `a`, or the plan's when there is none. Each simulation's redraws are kept in attempt order;
/// their index + 1 is the simulation's *parameter set* (0: the plan's values).
///
/// ```json
/// {"version": 1, "redraws": [{"simulation": 7, "from_attempt": 3, "values": [412.5, 130.25, 100, 250, 499.5]}]}
/// ```
public struct RedrawTable: Sendable, Hashable {
    /// One redraw: from `fromAttempt` on, simulation `simulation` runs with `values`.
    public struct Entry: Sendable, Hashable {
        /// The simulation id.
        public var simulation: Int
        /// The first attempt run with these values.
        public var fromAttempt: Int
        /// The values, in the plan's parameter order.
        public var values: [ParameterValue]

        /// An entry.
        public init(simulation: Int, fromAttempt: Int, values: [ParameterValue]) {
            self.simulation = simulation
            self.fromAttempt = fromAttempt
            self.values = values
        }
    }

    /// The file's name in the study directory.
    public static let fileName = "redraws.json"

    /// Redraws by simulation id, each simulation's in increasing `fromAttempt`.
    public private(set) var entries: [Int: [Entry]] = [:]

    /// An empty table.
    public init() {}

    /// A table of `entries` (any order).
    public init(_ entries: [Entry]) {
        for entry in entries { add(entry) }
    }

    /// Every entry, by simulation id then attempt.
    public var allEntries: [Entry] {
        entries.keys.sorted().flatMap { entries[$0] ?? [] }
    }

    /// Whether no simulation was redrawn.
    public var isEmpty: Bool { entries.isEmpty }

    /// Records a redraw; one for the same (simulation, attempt) replaces it.
    public mutating func add(_ entry: Entry) {
        var list = entries[entry.simulation, default: []]
        list.removeAll { $0.fromAttempt == entry.fromAttempt }
        list.append(entry)
        list.sort { $0.fromAttempt < $1.fromAttempt }
        entries[entry.simulation] = list
    }

    /// The redraw in force for `simulation` at `attempt`, nil when it runs with the plan's values.
    public func entry(simulation: Int, attempt: Int) -> Entry? {
        entries[simulation]?.last { $0.fromAttempt <= attempt }
    }

    /// The parameter set `simulation` runs with at `attempt`: 0 for the plan's values, k for its k-th redraw.
    public func parameterSet(simulation: Int, attempt: Int) -> Int {
        entries[simulation]?.lastIndex { $0.fromAttempt <= attempt }.map { $0 + 1 } ?? 0
    }

    /// The values of `simulation` at `attempt`: the redrawn ones, or `planValues`.
    public func values(simulation: Int, attempt: Int, planValues: [ParameterValue]) -> [ParameterValue] {
        entry(simulation: simulation, attempt: attempt)?.values ?? planValues
    }

    /// The file in `directory`.
    public static func url(in directory: URL) -> URL {
        directory.appendingPathComponent(fileName)
    }

    /// Reads `<directory>/redraws.json`, typing values by `parameters`; an absent file is an empty table.
    public static func read(from directory: URL, parameters: [PlanParameter]) throws -> RedrawTable {
        let url = url(in: directory)
        guard let data = FileManager.default.contents(atPath: url.path) else { return RedrawTable() }
        return try decode(data, parameters: parameters)
    }

    /// Decodes the file's contents, typing values by `parameters`.
    public static func decode(_ data: Data, parameters: [PlanParameter]) throws -> RedrawTable {
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: data)
        } catch {
            throw PlanningError.redraws(path: fileName, reason: "unreadable: \(error)")
        }
        guard file.version == 1 else {
            throw PlanningError.redraws(path: fileName, reason: "version \(file.version); this melissa reads version 1")
        }
        var table = RedrawTable()
        for raw in file.redraws {
            guard raw.values.count == parameters.count else {
                throw PlanningError.redraws(
                    path: fileName,
                    reason:
                        "simulation \(raw.simulation): \(raw.values.count) values for \(parameters.count) parameters")
            }
            let values = zip(raw.values, parameters).map { value, parameter in parameter.type.conformed(value.value) }
            table.add(Entry(simulation: raw.simulation, fromAttempt: raw.fromAttempt, values: values))
        }
        return table
    }

    /// The file's contents.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let file = File(
            version: 1,
            redraws: allEntries.map {
                RawEntry(
                    simulation: $0.simulation, fromAttempt: $0.fromAttempt, values: $0.values.map(CompactValue.init))
            })
        var data = try encoder.encode(file)
        data.append(0x0A)
        return data
    }

    /// Writes `<directory>/redraws.json` atomically (a temporary file in the directory, then a rename).
    public func write(to directory: URL) throws {
        try AtomicFile.write(try encoded(), to: Self.url(in: directory)) {
            PlanningError.redraws(path: $0, reason: $1)
        }
    }

    private struct File: Codable {
        var version: Int
        var redraws: [RawEntry]
    }

    private struct RawEntry: Codable {
        var simulation: Int
        var fromAttempt: Int
        var values: [CompactValue]

        enum CodingKeys: String, CodingKey {
            case simulation
            case fromAttempt = "from_attempt"
            case values
        }
    }
}
