import Foundation
import Launching
import PlanModel
import Planning

/// A study directory that was launched before (it has a journal): what `plan` and `launch` may do with it.
///
/// "Edit, then run again" (docs/launching.md): a study file changed since its directory was launched is noticed,
/// never mixed into the old plan; `--fresh` moves the old directory aside (`<dir>.1`, `<dir>.2`, …) and starts
/// afresh; a directory whose launcher still runs is never moved.
enum LaunchedStudy {
    /// Whether `directory` holds a launched study.
    static func isLaunched(_ directory: String) -> Bool {
        FileManager.default.fileExists(atPath: directory + "/" + Journal.fileName)
    }

    /// What differs between `plan` and the plan in `directory`, as the plan's keys (`server.training`,
    /// `simulations`…); nil when they are the same plan (the melissa executable aside: a rebuilt melissa plans the
    /// same study) or the old plan cannot be read.
    static func difference(_ plan: PlanModel.Plan, fromPlanIn directory: String) -> [String]? {
        guard let data = FileManager.default.contents(atPath: directory + "/plan.json") else { return nil }
        let old: PlanModel.Plan
        do {
            old = try PlanWriter.decode(data)
        } catch PlanningError.unsupportedPlanVersion {
            // Planned by another melissa (schema 1 repeated every command line): never the same plan.
            return ["schema_version"]
        } catch {
            return nil
        }
        var new = plan
        if let executable = old.server.command.first, !new.server.command.isEmpty {
            new.server.command[0] = executable
        }
        if let executable = old.allocation?.launcherCommand.first, new.allocation?.launcherCommand.isEmpty == false {
            new.allocation?.launcherCommand[0] = executable
        }
        guard let oldData = try? PlanWriter.encode(old), let newData = try? PlanWriter.encode(new),
            let before = try? JSONSerialization.jsonObject(with: oldData) as? [String: Any],
            let after = try? JSONSerialization.jsonObject(with: newData) as? [String: Any]
        else { return nil }
        var keys: [String] = []
        for key in Set(before.keys).union(after.keys).sorted() where !same(before[key], after[key]) {
            if let inner = before[key] as? [String: Any], let other = after[key] as? [String: Any] {
                let changed = Set(inner.keys).union(other.keys).sorted().filter { !same(inner[$0], other[$0]) }
                keys += changed.map { key + "." + $0 }
            } else {
                keys.append(key)
            }
        }
        return keys.isEmpty ? nil : keys
    }

    /// Moves the launched study in `directory` aside, to the first free `<directory>.<n>`; returns where it went.
    /// Refuses while a launcher of it runs.
    static func moveAside(_ directory: String) throws -> String {
        if let holder = StudyLock.holder(ofStudy: directory) {
            throw LauncherError.launcherRunning(studyDirectory: directory, holder: holder)
        }
        var number = 1
        while FileManager.default.fileExists(atPath: "\(directory).\(number)") { number += 1 }
        let destination = "\(directory).\(number)"
        do {
            try FileManager.default.moveItem(atPath: directory, toPath: destination)
        } catch {
            throw LauncherError.cannotMoveAside(
                from: directory, to: destination, reason: FileProblem.describe(error, path: directory))
        }
        return destination
    }

    private static func same(_ a: Any?, _ b: Any?) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case (let a?, let b?):
            guard JSONSerialization.isValidJSONObject([a]), JSONSerialization.isValidJSONObject([b]),
                let x = try? JSONSerialization.data(withJSONObject: [a], options: [.sortedKeys]),
                let y = try? JSONSerialization.data(withJSONObject: [b], options: [.sortedKeys])
            else { return false }
            return x == y
        default: return false
        }
    }
}
