/// Where a running launch stands: what the progress line shows.
public struct LaunchProgress: Sendable, Hashable {
    /// Simulations in the plan.
    public var simulations: Int
    /// Simulations that completed.
    public var done: Int
    /// Simulations whose job runs.
    public var running: Int
    /// Simulations waiting: queued by the scheduler or by the launcher (window, retries).
    public var pending: Int
    /// Simulations given up after their retries.
    public var failed: Int
    /// Simulations allowed in flight at once (the elastic window).
    public var window: Int
    /// The server's latest status, if one came.
    public var server: ServerStatus?
    /// Whether the server listens (its address is published).
    public var serverListening: Bool
    /// An offline study: no server, the simulations write their data.
    public var offline: Bool

    /// Creates a progress value.
    public init(
        simulations: Int = 0, done: Int = 0, running: Int = 0, pending: Int = 0, failed: Int = 0, window: Int = 0,
        server: ServerStatus? = nil, serverListening: Bool = false, offline: Bool = false
    ) {
        self.offline = offline
        self.simulations = simulations
        self.done = done
        self.running = running
        self.pending = pending
        self.failed = failed
        self.window = window
        self.server = server
        self.serverListening = serverListening
    }

    /// One line: `sims 3/10 done, 2 running, 5 pending, 0 failed | recv 410.5/s train 2801.0/s | buffer 812 | loss 0.0123`
    /// (``simulationsText``, then ``serverText``).
    public var line: String {
        simulationsText + " | " + serverText
    }

    /// The simulations' part of the line: `sims 3/10 done, 2 running, 5 pending, 0 failed`.
    public var simulationsText: String {
        "sims \(done)/\(simulations) done, \(running) running, \(pending) pending, \(failed) failed"
    }

    /// The server's part of the line: `recv 410.5/s train 2801.0/s | buffer 812 | loss 0.0123 · rel L2 15.4 %` (the
    /// relative L2 error only from a server that reports it), or `server listening` (no status yet), or `waiting for
    /// the server`.
    public var serverText: String {
        if offline { return "offline: writing data" }
        guard serverListening, let server else {
            return serverListening ? "server listening" : "waiting for the server"
        }
        var text = "recv " + Self.format(server.receivedPerSecond) + "/s train " + Self.format(server.trainedPerSecond)
        text += "/s | buffer \(server.totalPopulation)"
        text += " | loss " + (server.validationLoss.map { Self.format($0, digits: 4) } ?? "-")
        if let relativeL2 = server.validationRelativeL2 { text += " · rel L2 " + Self.format(relativeL2 * 100) + " %" }
        if let rmse = server.validationRMSE { text += " · RMSE " + Self.format(rmse, digits: 3) }
        return text
    }

    private static func format(_ value: Double, digits: Int = 1) -> String {
        guard value.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        return String(rounded)
    }
}
