/// How a process ended: its exit code, and the signal that killed it if one did.
///
/// Slurm prints it as `code:signal` (`1:0`, `0:9`); a local process's raw wait status is decoded the same way.
public struct ExitStatus: Sendable, Hashable, CustomStringConvertible {
    /// The exit code (0 when a signal killed the process).
    public var code: Int
    /// The signal that killed the process, or 0.
    public var signal: Int

    /// Creates a status.
    public init(code: Int, signal: Int = 0) {
        self.code = code
        self.signal = signal
    }

    /// Parses Slurm's `code:signal`; nil for anything else (`""`, `N/A`).
    public init?(slurm text: some StringProtocol) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let code = Int(parts[0]), let signal = Int(parts[1]) else { return nil }
        self.init(code: code, signal: signal)
    }

    /// Decodes a raw `wait(2)` status (what `squeue -O exit_code` prints as well): `768` is code 3, `9` signal 9.
    public init(waitStatus status: Int32) {
        let signal = Int(status & 0x7f)
        if signal == 0 {
            self.init(code: Int((status >> 8) & 0xff))
        } else {
            self.init(code: 0, signal: signal)
        }
    }

    /// Slurm's form, `code:signal`.
    public var description: String { "\(code):\(signal)" }

    /// Whether the process exited normally with code 0.
    public var isSuccess: Bool { code == 0 && signal == 0 }
}
