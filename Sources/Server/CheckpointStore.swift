import Foundation

/// The checkpoint files of a training server's ranks in the study directory: where they are, how a rank writes its
/// own, and which one a restart reads.
///
/// A one-rank server has one file, `checkpoint.melissa`, overwritten at every checkpoint. Rank r of a multi-rank
/// server has `checkpoint-rank<r>.melissa`: each rank writes `<file>.next`, all meet at a barrier, then each keeps its
/// current file as `checkpoint-rank<r>.previous.melissa` and renames the new one in, so that whatever instant a crash
/// hits, the ranks' current or previous files share a batch; a restart takes the latest batch they all have.
struct CheckpointStore {
    /// The study directory.
    let directory: URL
    /// The number of training ranks (`training.ranks`).
    let ranks: Int

    /// The checkpoint file of training rank `rank`.
    func url(rank: Int) -> URL {
        directory.appendingPathComponent(ranks == 1 ? "checkpoint.melissa" : "checkpoint-rank\(rank).melissa")
    }

    /// The checkpoint a multi-rank server's rank `rank` wrote before its latest one (kept until the next).
    func previousURL(rank: Int) -> URL {
        directory.appendingPathComponent("checkpoint-rank\(rank).previous.melissa")
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

    /// Writes the checkpoint of `communicator`'s rank (collective on several ranks: the barrier between writing the
    /// new files and renaming them in).
    func write(_ contents: ServerCheckpoint, _ communicator: some ServerCommunicator) throws {
        let rank = communicator.rank
        guard ranks > 1 else {
            try contents.write(to: url(rank: rank))
            return
        }
        let current = url(rank: rank)
        let next = current.appendingPathExtension("next")
        try contents.write(to: next)
        try communicator.barrier()
        if FileManager.default.fileExists(atPath: current.path) {
            try Self.rename(current, to: previousURL(rank: rank))
        }
        try Self.rename(next, to: current)
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

    private static func rename(_ source: URL, to destination: URL) throws {
        if Foundation.rename(source.path, destination.path) != 0 {
            throw ServerError.checkpoint("cannot rename \(source.path) to \(destination.path): errno \(errno)")
        }
    }
}
