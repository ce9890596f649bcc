import CLaunchingShims
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A child process started as the leader of its own session and process group, so that everything it starts can
/// be signalled at once (`kill(-pgid, …)`).
///
/// Started with `posix_spawn` and `POSIX_SPAWN_SETSID`; standard input is `/dev/null`, standard output and error go
/// to a file (appended) or `/dev/null`; no other descriptor is inherited; signal dispositions and mask are reset.
/// Its exit is awaited by `waitpid` on a dedicated thread, never on Swift's cooperative pool.
public struct ProcessGroup: Sendable, Hashable {
    /// The leader's pid, which is also the group's (and the session's) id.
    public let id: pid_t

    /// Refers to an existing group (one a previous launcher started, say) by its id; it can be signalled and
    /// checked, not awaited.
    public init(id: pid_t) {
        self.id = id
    }

    /// Starts `executable` with `arguments` (not including the program name) in a new session.
    ///
    /// - Parameters:
    ///   - environment: the complete environment of the child.
    ///   - workingDirectory: where it starts (default: the launcher's).
    ///   - outputFile: where its standard output and error go, appended (default: `/dev/null`).
    ///   - onExit: called once, on a dedicated thread, with the leader's raw wait status.
    public static func spawn(
        executable: String,
        arguments: [String],
        environment: [String: String],
        workingDirectory: String? = nil,
        outputFile: String? = nil,
        onExit: @escaping @Sendable (Int32) -> Void
    ) throws -> ProcessGroup {
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        let output = outputFile ?? "/dev/null"
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        melissa_spawn_addclosefrom(&actions, 3)
        if let workingDirectory {
            let error = melissa_spawn_addchdir(&actions, workingDirectory)
            guard error == 0 else {
                throw LaunchingError.cannotStart(
                    command: [executable] + arguments, reason: "cannot start in \(workingDirectory): error \(error)")
            }
        }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGALRM, SIGTERM, SIGUSR1, SIGUSR2, SIGCHLD] {
            sigaddset(&defaults, signal)
        }
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &mask)
        let flags = Int32(melissa_spawn_setsid_flag()) | Int32(POSIX_SPAWN_SETSIGDEF) | Int32(POSIX_SPAWN_SETSIGMASK)
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv + envp { free(pointer) }
        }
        var spawned: pid_t = 0
        let error = posix_spawn(&spawned, executable, &actions, &attributes, argv, envp)
        let pid = spawned
        guard error == 0 else {
            throw LaunchingError.cannotStart(
                command: [executable] + arguments, reason: String(cString: strerror(error)))
        }
        let thread = Thread {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 {
                guard errno == EINTR else {
                    status = 0x7f  // cannot wait: report as killed by an unknown signal
                    break
                }
            }
            onExit(status)
        }
        thread.name = "melissa-wait-\(pid)"
        thread.start()
        return ProcessGroup(id: pid)
    }

    /// Sends `signal` to every process of the group and, on Linux, of its session (a job script's background
    /// child under `set -m` runs in a group of its own, in the same session); false when none is left.
    @discardableResult
    public func signal(_ signal: Int32) -> Bool {
        var reached = kill(-id, signal) == 0
        #if os(Linux)
            for member in Self.livingMembers(session: id) where kill(member, signal) == 0 { reached = true }
        #endif
        return reached
    }

    /// Whether any process of the group (or, on Linux, of its session) is still alive and not a zombie (orphans are
    /// reaped by PID 1, sometimes lazily).
    public var isAlive: Bool {
        #if os(Linux)
            return !Self.livingMembers(session: id).isEmpty
        #else
            return kill(-id, 0) == 0 || errno == EPERM
        #endif
    }

    #if os(Linux)
        /// The processes of `/proc` whose process group or session is `session` and that are not zombies.
        static func livingMembers(session: pid_t) -> [pid_t] {
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
            var members: [pid_t] = []
            for entry in entries where entry.first?.isNumber == true {
                guard let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                    let close = stat.lastIndex(of: ")"), let pid = pid_t(entry)
                else { continue }
                // After "pid (comm) ": state ppid pgrp session ...
                let fields = stat[stat.index(after: close)...].split(separator: " ")
                guard fields.count > 3, fields[0] != "Z", fields[0] != "X" else { continue }
                if pid_t(fields[2]) == session || pid_t(fields[3]) == session { members.append(pid) }
            }
            return members
        }
    #endif

    /// The value of variable `name` in the leader's environment as it started (`/proc/<pid>/environ`), nil when
    /// the leader is gone, unreadable, or has no such variable: what tells a group this launcher started from a
    /// process that reused its pid.
    public func leaderEnvironment(_ name: String) -> String? {
        #if os(Linux)
            // Read to its end: procfs files report no size.
            guard let file = FileHandle(forReadingAtPath: "/proc/\(id)/environ"),
                let data = try? file.readToEnd()
            else { return nil }
            try? file.close()
            let prefix = Array((name + "=").utf8)
            for entry in data.split(separator: 0) where entry.starts(with: prefix) {
                return String(decoding: entry.dropFirst(prefix.count), as: UTF8.self)
            }
            return nil
        #else
            return nil
        #endif
    }

    /// SIGTERM to the whole group, then SIGKILL to whatever is left after `grace` seconds; returns once the group
    /// is gone or `grace + 5` seconds have passed (a process stuck in the kernel can outlive SIGKILL for a while).
    ///
    /// With `leaderFirst`, SIGTERM goes to the leader alone (a job script whose traps stop its payload the way it
    /// must: the server's checkpoints, which a SIGTERM to its MPI launcher would prevent), and whatever is left
    /// after `grace` seconds gets SIGKILL.
    public func terminate(grace: Double, leaderFirst: Bool = false) async {
        if leaderFirst {
            guard kill(id, SIGTERM) == 0 || isAlive else { return }
        } else {
            guard signal(SIGTERM) else { return }
        }
        let step = 0.05
        var waited = 0.0
        while waited < grace, isAlive {
            try? await Task.sleep(for: .seconds(step))
            waited += step
        }
        guard isAlive else { return }
        signal(SIGKILL)
        waited = 0
        while waited < 5, isAlive {
            try? await Task.sleep(for: .seconds(step))
            waited += step
        }
    }
}
