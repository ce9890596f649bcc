import Foundation

/// The checkpoint files of a training server's ranks in the study directory: where they are, how the ranks write
/// them together, and which generation a restart reads.
///
/// Each rank keeps two generations: a one-rank server `checkpoint.melissa` and `checkpoint.previous.melissa`, rank r
/// of a multi-rank one `checkpoint-rank<r>.melissa` and `checkpoint-rank<r>.previous.melissa`. A checkpoint is
/// written in two phases, each ended by an all-gather of every rank's error (none on one rank), so that the ranks
/// decide together and none waits for another: each rank writes `<current>.next` (flushed, checksummed), and only
/// when every rank did, each keeps its current file as the previous one and renames the new one in. A write that
/// fails on any rank is a failed checkpoint on every rank: each removes its new file and keeps the generations it
/// had, training goes on, and the next due checkpoint tries again. A one-rank restart reads the current file; a
/// multi-rank one the latest batch every rank has among its current and previous files.
struct CheckpointStore {
    /// The study directory.
    let directory: URL
    /// The number of training ranks (`training.ranks`).
    let ranks: Int

    /// What became of one checkpoint, the same on every rank.
    enum Outcome: Equatable {
        /// Every rank's new file is in place; `bytes` is this rank's.
        case written(bytes: Int)
        /// Some rank could not write its file; `reason` names the file and the system's error (every failing
        /// rank's, prefixed with the rank on several ranks). Every rank kept the generations it had.
        case failed(reason: String)
    }

    /// The checkpoint file of training rank `rank`.
    func url(rank: Int) -> URL {
        directory.appendingPathComponent(ranks == 1 ? "checkpoint.melissa" : "checkpoint-rank\(rank).melissa")
    }

    /// The checkpoint rank `rank` wrote before its latest one (kept until the next).
    func previousURL(rank: Int) -> URL {
        directory.appendingPathComponent(
            ranks == 1 ? "checkpoint.previous.melissa" : "checkpoint-rank\(rank).previous.melissa")
    }

    /// The new checkpoint of rank `rank` while the ranks write one.
    func nextURL(rank: Int) -> URL {
        url(rank: rank).appendingPathExtension("next")
    }

    /// Rank `rank`'s generations, in the order a restart prefers them at the same batch.
    func generations(rank: Int) -> [URL] {
        [url(rank: rank), previousURL(rank: rank), nextURL(rank: rank)]
    }

    /// Writes the checkpoint of `communicator`'s rank (collective: two all-gathers, whatever happens to the files).
    /// Throws only when the ranks cannot talk; a file that cannot be written is a ``Outcome/failed(reason:)``.
    func write(_ contents: ServerCheckpoint, _ communicator: some ServerCommunicator) throws -> Outcome {
        let rank = communicator.rank
        let current = url(rank: rank)
        let previous = previousURL(rank: rank)
        let next = nextURL(rank: rank)
        var written = false
        var problem: String?
        do {
            try Self.expectFileOrNothing(at: current)
            try Self.expectFileOrNothing(at: previous)
            do {
                try contents.write(to: next)
                written = true
            } catch {
                // The system's error names the temporary file: say which checkpoint it was.
                throw ServerError.checkpoint("\(current.path): \(Self.reason(error))")
            }
        } catch {
            problem = Self.reason(error)
        }
        if let failure = try agreedFailure(problem, communicator) {
            if written { unlink(next.path) }
            return .failed(reason: failure)
        }
        let bytes = SystemFile.size(of: next.path) ?? 0
        problem = nil
        do {
            if SystemFile.kind(of: current.path) == .regular {
                try SystemFile.rename(current.path, to: previous.path)
            }
            try SystemFile.rename(next.path, to: current.path)
            SystemFile.synchronizeDirectory(of: current.path)
        } catch {
            // The new file stays as `.next`: complete and checked, a restart may still agree on it.
            problem = Self.reason(error)
        }
        if let failure = try agreedFailure(problem, communicator) { return .failed(reason: failure) }
        return .written(bytes: bytes)
    }

    /// Every rank's `problem` (one all-gather), said together; nil when no rank had one.
    private func agreedFailure(_ problem: String?, _ communicator: some ServerCommunicator) throws -> String? {
        let all = try communicator.allGather(problem ?? "")
        let failures = all.enumerated().filter { !$0.element.isEmpty }
        guard !failures.isEmpty else { return nil }
        if communicator.size == 1 { return failures[0].element }
        return failures.map { "rank \($0.offset): \($0.element)" }.joined(separator: "; ")
    }

    /// Throws when something other than a regular file is at `url` (a directory in the checkpoint's place).
    private static func expectFileOrNothing(at url: URL) throws {
        switch SystemFile.kind(of: url.path) {
        case .absent, .regular: return
        case .directory:
            throw ServerError.checkpoint("\(url.path) is a directory, not a checkpoint file: move it away")
        case .other:
            throw ServerError.checkpoint("\(url.path) is not a regular file (or cannot be looked at)")
        }
    }

    /// The message of a checkpoint's error, without the "checkpoint: " of its description.
    static func reason(_ error: any Error) -> String {
        if case .checkpoint(let message) = error as? ServerError { return message }
        return "\(error)"
    }

    /// The checkpoint `communicator`'s rank restarts from, read and checked to be this rank's, or nil when there is
    /// none (collective on several ranks: they agree on a batch).
    func restore(_ communicator: some ServerCommunicator, log: (String) -> Void) throws -> (
        url: URL, checkpoint: ServerCheckpoint
    )? {
        let chosen: URL?
        if ranks == 1 {
            chosen = FileManager.default.fileExists(atPath: url(rank: 0).path) ? url(rank: 0) : nil
        } else {
            chosen = try agreed(communicator, log: log)
        }
        guard let chosen else { return nil }
        let checkpoint = try ServerCheckpoint.read(from: chosen)
        let rank = communicator.rank
        guard checkpoint.ranks == communicator.size, checkpoint.rank == rank else {
            throw ServerError.checkpoint(
                "\(chosen.path) is rank \(checkpoint.rank) of \(checkpoint.ranks); this is rank \(rank) of "
                    + "\(communicator.size)")
        }
        return (chosen, checkpoint)
    }

    /// The latest checkpoint every rank has (its current or its previous file, at the same batch), or nil.
    private func agreed(_ communicator: some ServerCommunicator, log: (String) -> Void) throws -> URL? {
        let rank = communicator.rank
        let candidates = [url(rank: rank), previousURL(rank: rank)]
        let batches = candidates.map { url -> Int64 in
            guard FileManager.default.fileExists(atPath: url.path),
                let checkpoint = try? ServerCheckpoint.read(from: url)
            else { return -1 }
            return Int64(checkpoint.batches)
        }
        let all = try communicator.allGather(batches)
        let common = Set(all[0].filter { $0 >= 0 }).filter { batch in all.allSatisfy { $0.contains(batch) } }
        guard let batch = common.max(), let index = batches.firstIndex(of: batch) else {
            if all.contains(where: { $0.contains { $0 >= 0 } }) && rank == 0 {
                log("the ranks' checkpoints have no batch in common: starting afresh")
            }
            return nil
        }
        return candidates[index]
    }
}
