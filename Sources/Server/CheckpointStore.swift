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
/// had, training goes on, and the next due checkpoint tries again. A restart reads the newest generation, current,
/// previous or a `.next` left by a crash between the phases, that is valid (its checksum and rank) on every rank
/// and shares a batch with them all.
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

    /// One of this rank's generations as a restart finds it.
    private struct Found {
        var url: URL
        var batches: Int?
        var problem: String?
    }

    /// The checkpoint `communicator`'s rank restarts from, read and checked to be this rank's, or nil when no rank
    /// has any checkpoint file (collective on several ranks: they agree on a generation). A newest generation that
    /// is unusable is said through `warn` (rank 0 says every rank's) with the one used instead. Throws, on every
    /// rank, when files exist but no generation is valid on every rank at a common batch: the server must not
    /// start afresh and train again on samples it already trained on.
    func restore(_ communicator: some ServerCommunicator, warn: (String) -> Void) throws -> (
        url: URL, checkpoint: ServerCheckpoint
    )? {
        let rank = communicator.rank
        let found = generations(rank: rank).compactMap { url -> Found? in
            guard SystemFile.kind(of: url.path) != .absent else { return nil }
            do {
                let checkpoint = try ServerCheckpoint.read(from: url)
                guard checkpoint.ranks == communicator.size, checkpoint.rank == rank else {
                    return Found(
                        url: url,
                        problem:
                            "\(url.path) is rank \(checkpoint.rank) of \(checkpoint.ranks); this is rank \(rank) "
                            + "of \(communicator.size)")
                }
                return Found(url: url, batches: checkpoint.batches)
            } catch {
                return Found(url: url, problem: Self.reason(error))
            }
        }
        let mine = found.map { Int64($0.batches ?? -1) }
        let problems = found.compactMap(\.problem)
        let hasFiles = try communicator.allGather([Int64(found.count)]).map { $0[0] }
        guard hasFiles.contains(where: { $0 > 0 }) else { return nil }
        // Each rank's valid batches, padded to the same count for the all-gather.
        let all = try communicator.allGather(mine + [Int64](repeating: -1, count: 3 - mine.count))
        let allProblems = try communicator.allGather(problems.joined(separator: "; "))
        let common = Set(all[0].filter { $0 >= 0 }).filter { batch in all.allSatisfy { $0.contains(batch) } }
        func everyRanksProblems() -> String {
            let said = allProblems.enumerated().filter { !$0.element.isEmpty }
            if communicator.size == 1 { return said.map(\.element).joined(separator: "; ") }
            return said.map { "rank \($0.offset): \($0.element)" }.joined(separator: "; ")
        }
        guard let batch = common.max(), let chosen = found.first(where: { $0.batches.map(Int64.init) == batch })
        else {
            var said = [everyRanksProblems()].filter { !$0.isEmpty }
            if communicator.size > 1 {
                let valid = all.enumerated().map { rank, batches in
                    let batches = batches.filter { $0 >= 0 }.map(String.init).joined(separator: ", ")
                    return "rank \(rank) \(batches.isEmpty ? "none" : "batch " + batches)"
                }
                said.append("valid generations: " + valid.joined(separator: ", ") + ", no batch in common")
            }
            throw ServerError.checkpoint(
                "no usable checkpoint to restart from: " + said.joined(separator: "; ")
                    + ". The server does not start afresh, which would train again on samples it already trained "
                    + "on: put a good checkpoint back, or see \"No usable checkpoint\" in docs/server.md")
        }
        let newest = all.flatMap { $0 }.max() ?? batch
        if rank == 0, !allProblems.allSatisfy(\.isEmpty) || newest > batch {
            let problems = everyRanksProblems()
            warn(
                (problems.isEmpty ? "" : problems + "; ")
                    + (newest > batch ? "batch \(newest) is not in every rank's checkpoints; " : "")
                    + "restarting from \(chosen.url.path) (batch \(batch))"
                    + (communicator.size > 1 ? " and every rank's generation of the same batch" : ""))
        }
        let checkpoint = try ServerCheckpoint.read(from: chosen.url)
        return (chosen.url, checkpoint)
    }
}
