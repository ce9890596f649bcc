/// Slurm's state words and how each maps to a ``JobState``.
///
/// Takes the long words of `sacct`, `squeue -O State` and `scontrol` (`CANCELLED by 0`, `CANCELLED+` truncated,
/// `NODE_FAIL`) and `squeue %t`'s short codes (`PD`, `CA`, `OOM`). `docs/launching.md` has the table.
public enum SlurmState {
    /// The walltime warning melissa's batch files ask for (`--signal=B:USR1@N`): SIGUSR1, as Linux numbers it.
    ///
    /// A batch file whose command the warning stopped without success ends itself with this signal, so a job that
    /// Slurm says ended by it (`FAILED` with ExitCode `0:10`) reached its walltime: ``JobState/timedOut``.
    public static let walltimeWarningSignal = 10

    /// The neutral state of a job Slurm describes with `word` and, when it ended, `exit` (`code:signal`).
    public static func neutral(word: some StringProtocol, exit: ExitStatus? = nil) -> JobState {
        let text = Substring(word).trimmingSpaces
        var base = text.prefix { !$0.isWhitespace && $0 != "+" }.uppercased()
        if let short = shortCodes[base] { base = short }
        switch base {
        case "PENDING", "CONFIGURING", "RESV_DEL_HOLD", "POWER_UP_NODE":
            return .pending
        case "REQUEUED", "REQUEUE_FED", "REQUEUE_HOLD":
            return .requeued
        case "RUNNING", "COMPLETING", "SIGNALING", "STAGE_OUT", "RESIZING", "UPDATE_DB":
            return .running
        case "SUSPENDED", "STOPPED":
            return .suspended
        case "COMPLETED":
            if let exit, !exit.isSuccess { return failed(exit) }
            return .completed
        case "FAILED", "SPECIAL_EXIT":
            return exit.map(failed) ?? .failed(exitCode: -1, signal: nil)
        case "TIMEOUT":
            return .timedOut
        case "CANCELLED", "REVOKED":
            return .cancelled(by: canceller(in: text))
        case "NODE_FAIL":
            return .nodeFailure
        case "BOOT_FAIL", "LAUNCH_FAILED":
            return .bootFailure
        case "OUT_OF_MEMORY":
            return .outOfMemory
        case "PREEMPTED":
            return .preempted
        case "DEADLINE":
            return .deadline
        default:
            return .unknown(String(text))
        }
    }

    /// `squeue %t`'s short codes and their long words.
    static let shortCodes: [String: String] = [
        "PD": "PENDING", "CF": "CONFIGURING", "RD": "RESV_DEL_HOLD", "RQ": "REQUEUED", "RF": "REQUEUE_FED",
        "RH": "REQUEUE_HOLD", "R": "RUNNING", "CG": "COMPLETING", "SI": "SIGNALING", "SO": "STAGE_OUT",
        "RS": "RESIZING", "S": "SUSPENDED", "ST": "STOPPED", "CD": "COMPLETED", "F": "FAILED", "SE": "SPECIAL_EXIT",
        "TO": "TIMEOUT", "CA": "CANCELLED", "RV": "REVOKED", "NF": "NODE_FAIL", "BF": "BOOT_FAIL",
        "OOM": "OUT_OF_MEMORY", "PR": "PREEMPTED", "DL": "DEADLINE",
    ]

    /// The uid in `CANCELLED by 1234`; nil when Slurm did not say (or truncated it to `CANCELLED+`).
    private static func canceller(in text: Substring) -> Int? {
        let words = text.split(whereSeparator: \.isWhitespace)
        guard words.count == 3, words[1] == "by" else { return nil }
        return Int(words[2])
    }

    private static func signal(of exit: ExitStatus) -> Int? { exit.signal == 0 ? nil : exit.signal }

    /// A job that ended with `exit`: ended by the walltime warning, or failed.
    private static func failed(_ exit: ExitStatus) -> JobState {
        exit.signal == walltimeWarningSignal ? .timedOut : .failed(exitCode: exit.code, signal: signal(of: exit))
    }
}
