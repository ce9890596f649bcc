import Foundation
import WireProtocol

/// What the launcher knows of one worker (`execution.workers`): its job, what it was handed and what it runs, when it
/// was last heard of.
struct WorkerRecord: Sendable {
    /// Its number (the argument of its job).
    var number: Int
    /// Its scheduler job.
    var job: JobID
    /// When this launcher began watching it (its submission, or the resume that adopted it): before its first
    /// report, its silence counts from then (or from its job's start, whichever is later).
    var watchedSince: Date
    /// Submitted by an earlier launcher and adopted.
    var adopted = false
    /// Its latest report and when it came.
    var report: WorkerReport?
    var lastHeard: Date?
    /// The run it was handed and has not shown yet: the `run` directive is repeated until a report shows it.
    var assigned: JobID?
    /// The run it runs, as far as this launcher knows.
    var running: JobID?
    /// The process group its run was reported with, on ``WorkerReport/host``.
    var runGroup: Int32?
    /// The highest run number it was given (the next run is one more).
    var highestRun = 0
    /// It was told to exit (the window shrank, or no work is left): it no longer counts among the workers.
    var exiting = false
    /// Its job ended, or it was declared dead.
    var isGone = false

    /// Whether it counts against the window: neither leaving nor gone.
    var isLive: Bool { !isGone && !exiting }

    /// The runs it holds: handed out, or running.
    var runs: [JobID] { [assigned, running].compactMap { $0 } }
}
