import Foundation

/// Why a launch could not go on.
public enum LauncherError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The study already has a journal and `--resume` was not given.
    case alreadyLaunched(studyDirectory: String, launches: Int)
    /// `plan.json` changed since the study was first launched.
    case planChanged(studyDirectory: String)
    /// The study directory has no readable `plan.json`.
    case noPlan(path: String, reason: String)
    /// The server job ended before it published its address.
    case serverEnded(state: JobState, logs: String, excerpt: String)
    /// The server did not publish its address in time.
    case serverDidNotListen(seconds: Double, logs: String)
    /// The server died more often than allowed.
    case serverKeepsDying(restarts: Int, reason: String)
    /// The scheduler failed too many polls in a row.
    case schedulerUnreachable(String)
    /// Another launcher of the same study is alive (it holds `launcher.lock`).
    case launcherRunning(studyDirectory: String, holder: StudyLock.Holder)
    /// The study's lock file cannot be opened or locked.
    case cannotLock(path: String, reason: String)
    /// `--fresh` could not move the launched study aside.
    case cannotMoveAside(from: String, to: String, reason: String)
    /// `--resume` on a study whose server finished: there is nothing to continue.
    case studyComplete(studyDirectory: String, ended: String)
    /// A study planned for one Slurm allocation (`allocation: single`) launched outside it, or in a job that does not
    /// have its components.
    case needsAllocation(script: String, reason: String)
    /// Worker jobs kept ending before they ever reported to the launcher (`execution.workers`).
    case workersDoNotStart(count: Int, logs: String, excerpt: String)

    /// A message for a person.
    public var description: String {
        switch self {
        case .alreadyLaunched(let directory, let launches):
            return "\(directory) was already launched (\(launches) time\(launches == 1 ? "" : "s")): "
                + "`melissa launch \(directory) --resume` continues it with its plan, `melissa launch STUDY.yaml "
                + "--fresh` moves it aside and starts afresh, `melissa status \(directory)` shows it"
        case .planChanged(let directory):
            return "\(directory)/plan.json changed since the study was launched; plan into a new study directory"
        case .noPlan(let path, let reason):
            let directory = (path as NSString).deletingLastPathComponent
            return FileManager.default.fileExists(atPath: path)
                ? "cannot read the plan \(path): \(reason)"
                : "\(directory) is not a study directory (\(reason)); give a study file (`melissa launch "
                    + "study.yaml` plans it first) or the directory `melissa plan` wrote"
        case .serverEnded(let state, let logs, let excerpt):
            return "the server job ended (\(state.code)) before it listened; see \(logs)"
                + (excerpt.isEmpty ? "" : "\n" + excerpt)
        case .serverDidNotListen(let seconds, let logs):
            return "the server did not publish server.address within \(Int(seconds)) s; see \(logs)"
        case .serverKeepsDying(let restarts, let reason):
            return "the server died again after \(restarts) restart\(restarts == 1 ? "" : "s") (\(reason)); giving up"
        case .schedulerUnreachable(let error):
            return "the scheduler failed repeatedly: \(error)"
        case .launcherRunning(let directory, let holder):
            return "another launcher of \(directory) is running (\(holder)); `melissa status \(directory)` shows it, "
                + "`melissa cancel \(directory)` stops it"
        case .cannotLock(let path, let reason):
            return "cannot lock \(path): \(reason); the study directory must be writable"
        case .cannotMoveAside(let from, let to, let reason):
            return "cannot move \(from) aside to \(to): \(reason)"
        case .needsAllocation(let script, let reason):
            return "this study runs in one Slurm allocation (execution.slurm.allocation: single) and \(reason): "
                + "`sbatch \(script)` submits it, and melissa launch runs inside it"
        case .workersDoNotStart(let count, let logs, let excerpt):
            return "\(count) worker jobs in a row ended before they reported to the launcher; see \(logs)"
                + (excerpt.isEmpty ? "" : "\n" + excerpt)
        case .studyComplete(let directory, let ended):
            return "\(directory) is complete (\(ended)): there is nothing to resume; `melissa report \(directory)` "
                + "shows the result, `melissa launch STUDY.yaml --fresh` runs the study again in a fresh directory"
        }
    }
}
