import Foundation
import PlanModel
import Sampling
import Synchronization

/// The network inputs of every (simulation, parameter set): the plan's values (set 0) and the launcher's redraws
/// (`<study dir>/redraws.json`, set k for a simulation's k-th redraw).
///
/// The redraw table is read when the server starts and reread whenever the ingest meets an attempt of a simulation
/// newer than any it knew of it (the launcher writes the file before it submits a redrawn attempt, so the new values
/// are there when the attempt registers). A missing file is an empty table (logged when a reread finds none); an
/// unreadable one is logged and the last table read stays in force. Those log lines are throttled (``LogThrottle``):
/// anyone with the token can register newer attempts at will.
///
/// Text values become numbers: the plan's distinct values of a parameter, sorted, are 0, 1, 2…; then the other values
/// of its `choice` distribution (recorded in plan.json), sorted, so that a redraw (which draws among them) finds its
/// value already numbered and the numbers never change. A value from nowhere else (a redraw table written by hand)
/// gets the next number, in the order of the table's entries (see docs/server.md for that limit).
final class ParameterSets: Sendable {
    private struct State {
        var table = RedrawTable()
        /// The highest attempt met per simulation: a newer one rereads the table.
        var knownAttempts: [UInt32: UInt32] = [:]
        /// Per text parameter, its values in number order.
        var textValues: [Int: [String]] = [:]
        /// The log lines a reread may write, each with its throttle and latest text: a client registering newer
        /// attempt after newer attempt must not flood the log.
        var missingLog = LogThrottle()
        var unreadableLog = LogThrottle()
        var lastMissing = ""
        var lastUnreadable = ""
    }

    private let directory: URL
    private let parameters: [PlanParameter]
    private let planValues: [UInt32: [ParameterValue]]
    private let planTextValues: [Int: [String]]
    /// The training simulations of an adaptive study chosen after its initial design (docs/active-sampling.md).
    private let adaptiveSlots: Range<UInt32>
    private let log: @Sendable (String) -> Void
    private let state = Mutex(State())

    /// The plan's values, and the redraws in `directory` as they are now.
    init(plan: Plan, directory: URL, log: @escaping @Sendable (String) -> Void) {
        self.directory = directory
        parameters = plan.parameters
        var values: [UInt32: [ParameterValue]] = [:]
        for job in plan.simulations { values[UInt32(job.id)] = job.values }
        planValues = values
        var texts: [Int: [String]] = [:]
        for index in plan.parameters.indices {
            let found = plan.simulations.compactMap { job -> String? in
                if case .text(let value) = job.values[index] { return value }
                return nil
            }
            var ordered = Array(Set(found)).sorted()
            // A redraw of a `choice` draws among its values: those the plan did not use come next, sorted.
            if case .choice(let choices) = plan.parameters[index].distribution {
                let others = Set(
                    choices.compactMap { value -> String? in
                        if case .text(let text) = value { return text }
                        return nil
                    }
                ).subtracting(ordered)
                ordered += others.sorted()
            }
            if !ordered.isEmpty { texts[index] = ordered }
        }
        planTextValues = texts
        adaptiveSlots = plan.adaptive.map { UInt32($0.initialCount)..<UInt32($0.count) } ?? 0..<0
        self.log = log
        state.withLock { state in
            state.textValues = texts
            reload(&state)
        }
    }

    private func reload(_ state: inout State, announceMissing: Bool = false) {
        let url = RedrawTable.url(in: directory)
        let now = ProcessInfo.processInfo.systemUptime
        if announceMissing, !FileManager.default.fileExists(atPath: url.path) {
            state.lastMissing = "no \(url.path): every simulation runs with the plan's values"
            if let line = state.missingLog.note(state.lastMissing, at: now) { log(line) }
        }
        do {
            state.table = try RedrawTable.read(from: directory, parameters: parameters)
        } catch {
            state.lastUnreadable = "cannot read \(url.path) (keeping the redraws known so far): \(error)"
            if let line = state.unreadableLog.note(state.lastUnreadable, at: now) { log(line) }
            return
        }
        var texts = planTextValues
        for entry in state.table.allEntries {
            for (index, value) in entry.values.enumerated() {
                if case .text(let text) = value, !(texts[index]?.contains(text) ?? false) {
                    texts[index, default: []].append(text)
                }
            }
        }
        state.textValues = texts
    }

    /// Logs what the throttled log lines held back (at the end of a run).
    func flushLog() {
        state.withLock { state in
            let now = ProcessInfo.processInfo.systemUptime
            if let line = state.missingLog.flush(state.lastMissing, at: now) { log(line) }
            if let line = state.unreadableLog.flush(state.lastUnreadable, at: now) { log(line) }
        }
    }

    /// The parameter set `attempt` of `simulationID` runs with, rereading the redraw table first when `attempt` is
    /// newer than any attempt of it met so far.
    func parameterSet(simulationID: UInt32, attempt: UInt32) -> Int {
        state.withLock { state in
            // An adaptive slot's values are chosen while the study runs: its first attempt rereads the table too.
            let chosenLater = adaptiveSlots.contains(simulationID) && state.knownAttempts[simulationID] == nil
            if chosenLater || attempt > state.knownAttempts[simulationID, default: 0] {
                state.knownAttempts[simulationID] = attempt
                reload(&state, announceMissing: true)
            }
            return state.table.parameterSet(simulation: Int(simulationID), attempt: Int(attempt))
        }
    }

    /// The network input (parameters, without the time step) of `simulationID` under `parameterSet`; nil for an
    /// unknown simulation or set.
    func input(simulationID: UInt32, parameterSet: Int) -> [Float]? {
        guard let plan = planValues[simulationID] else { return nil }
        return state.withLock { state -> [Float]? in
            var values = plan
            if parameterSet > 0 {
                guard let redraws = state.table.entries[Int(simulationID)], parameterSet <= redraws.count else {
                    return nil
                }
                values = redraws[parameterSet - 1].values
            }
            return values.enumerated().map { index, value in
                switch value {
                case .real(let number): return Float(number)
                case .integer(let number): return Float(number)
                case .text(let text): return Float(state.textValues[index]?.firstIndex(of: text) ?? 0)
                }
            }
        }
    }

    /// The plan's values as network inputs, by simulation id.
    var planInputs: [UInt32: [Float]] {
        var result: [UInt32: [Float]] = [:]
        for id in planValues.keys { result[id] = input(simulationID: id, parameterSet: 0) }
        return result
    }
}
